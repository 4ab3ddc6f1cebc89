"""Beat runs once: /api/health warns when two beat processes announce themselves."""

from datetime import timedelta

import pytest
from celery.signals import beat_init
from django.utils import timezone

from conftest import wait_for
from monitoring_site import beats
from monitoring_site.models import Heartbeat


@pytest.mark.django_db
def test_it_warns_when_two_beats_are_live(client):
    Heartbeat.beat("scheduler")
    beats.announce("host-a:101")
    beats.announce("host-b:202")
    body = client.get("/api/health").json()
    assert body["status"] == "limited"
    assert body["services"]["scheduler"]["beats"] == ["host-a:101", "host-b:202"]
    assert "2 beat processes are running (host-a:101, host-b:202): run exactly one" in body["notes"]


@pytest.mark.django_db
def test_one_beat_and_a_dead_one_raise_no_warning(client):
    Heartbeat.beat("scheduler")
    beats.announce("host-a:101")
    Heartbeat.objects.create(name="beat:host-old:9", last_run=timezone.now() - timedelta(minutes=10))
    body = client.get("/api/health").json()
    assert body["services"]["scheduler"]["beats"] == ["host-a:101"]
    assert not any("beat processes" in note for note in body.get("notes", []))


@pytest.mark.django_db
def test_a_beat_silent_for_a_day_is_forgotten():
    Heartbeat.objects.create(name="beat:host-old:9", last_run=timezone.now() - timedelta(days=2))
    beats.announce("host-a:101")
    assert not Heartbeat.objects.filter(name="beat:host-old:9").exists()


@pytest.mark.django_db(transaction=True)
def test_a_starting_beat_process_announces_itself():
    """celery beat sends beat_init once it starts; the handler announces this process."""
    try:
        results = beat_init.send(sender=None)
        assert results, "no beat_init receiver is connected"
        name = f"beat:{beats.identity()}"
        wait_for(lambda: Heartbeat.objects.filter(name=name).exists())
    finally:
        beats.stop_announcing()  # before the flush, so no announcement outlives this test
