"""A grouped evaluator (one alert per check, per tenant...) fires and resolves each group on its own."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts import catalog
from alerts.engine import evaluate_rule
from alerts.models import Alert
from alerts.preview import replay
from tests.alerts.test_delivery import ROUTING_KEY, send_pending

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


@pytest.fixture
def groups(monkeypatch):
    """A catalog key whose value per group the test sets: {"db-backup": 1.0, ...}."""
    values: dict[str, float] = {}

    def evaluate(filters, aggregation, since, until):
        return {key: catalog.Measurement(value, 1) for key, value in values.items()}

    monkeypatch.setitem(catalog.CATALOG, "test_grouped", evaluate)
    return values


@pytest.fixture
def rule(make_rule):
    return make_rule(name="Check down", metric="test_grouped", warning_threshold=None, critical_threshold=0)


def test_it_fires_one_alert_per_group_in_breach(rule, groups):
    groups.update({"db-backup": 1.0, "nightly-report": 1.0, "cleanup": 0.0})
    reasons = [(t.alert.group_key, t.reason) for t in evaluate_rule(rule, timezone.now())]
    assert reasons == [("db-backup", "fired"), ("nightly-report", "fired")]
    assert set(Alert.objects.open().values_list("group_key", flat=True)) == {"db-backup", "nightly-report"}
    assert Alert.objects.get(group_key="db-backup").message.startswith("Check down [db-backup]:")


def test_a_group_resolves_alone_and_a_vanished_group_resolves_as_no_data(rule, groups):
    now = timezone.now()
    groups.update({"db-backup": 1.0, "nightly-report": 1.0})
    evaluate_rule(rule, now)
    groups.update({"db-backup": 0.0})
    del groups["nightly-report"]  # the check was deleted: its alert must not stay open forever
    reasons = sorted((t.alert.group_key, t.reason) for t in evaluate_rule(rule, now + MINUTE))
    assert reasons == [("db-backup", "resolved"), ("nightly-report", "resolved")]
    assert not Alert.objects.open().exists()


def test_a_group_fires_again_after_it_resolved(rule, groups):
    now = timezone.now()
    groups["db-backup"] = 1.0
    evaluate_rule(rule, now)
    groups["db-backup"] = 0.0
    evaluate_rule(rule, now + MINUTE)
    groups["db-backup"] = 1.0
    assert [t.reason for t in evaluate_rule(rule, now + 2 * MINUTE)] == ["fired"]
    assert Alert.objects.filter(group_key="db-backup").count() == 2


def test_the_database_refuses_a_second_open_alert_for_the_same_group(rule):
    Alert.objects.create(rule=rule, group_key="a", severity="critical", state="firing")
    Alert.objects.create(rule=rule, group_key="b", severity="critical", state="firing")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(rule=rule, group_key="a", severity="critical", state="pending")


def test_each_group_notifies_once_and_pagerduty_keeps_them_apart(rule, groups, receiver, make_channel):
    make_channel(receiver.url(), name="hook")
    make_channel(ROUTING_KEY, kind="pagerduty", name="pd")
    groups.update({"db-backup": 1.0, "nightly-report": 1.0})
    now = timezone.now()
    evaluate_rule(rule, now)
    evaluate_rule(rule, now + MINUTE)  # still firing: nothing new
    send_pending()
    hooks = [b for b in receiver.bodies() if "event" in b]
    assert sorted(b["alert"]["group"] for b in hooks) == ["db-backup", "nightly-report"]
    pages = [b for b in receiver.bodies() if "dedup_key" in b]
    assert len({p["dedup_key"] for p in pages}) == 2


def test_the_preview_replays_each_group(rule, groups):
    groups.update({"db-backup": 1.0, "cleanup": 0.0})
    result = replay(rule)
    assert {row["group"] for row in result["transitions"]} == {"db-backup"}
    assert result["notifications"] == 1
