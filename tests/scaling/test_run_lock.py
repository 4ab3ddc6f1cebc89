"""The alert run lock is a lease row: it holds across transactions (PgBouncer transaction mode)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import engine
from monitoring_site.locks import lease
from monitoring_site.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_a_second_run_is_refused_while_the_first_holds_the_lock():
    with engine.run_lock() as first:
        with engine.run_lock() as second:
            assert (first, second) == (True, False)
    with engine.run_lock() as third:
        assert third


def test_a_lease_left_by_a_crashed_run_expires():
    Heartbeat.objects.create(name="lease:alerts.evaluate", last_run=timezone.now() - timedelta(seconds=1))
    with engine.run_lock() as held:
        assert held


def test_an_expired_holder_does_not_free_the_next_holders_lease():
    slow = lease("job", 60)
    assert slow.__enter__()
    Heartbeat.objects.filter(name="lease:job").update(last_run=timezone.now() - timedelta(seconds=1))  # expired
    with lease("job", 60) as taken_over:
        assert taken_over
        slow.__exit__(None, None, None)
        with lease("job", 60) as third:
            assert not third
