"""One cycle measures every rule with one query per source group, with the same values as one rule at a time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import catalog, engine
from alerts.models import AlertRule
from tests.alerts.test_catalog import ai_calls, metric_samples

pytestmark = pytest.mark.django_db
TENANTS = ("acme", "globex", "initech")
MODELS = ("gpt-4o", "claude")


def some_calls(now):
    for i, tenant in enumerate(TENANTS):
        for j, model in enumerate(MODELS):
            ai_calls(10 + i * 7 + j * 3, errors=i + 2 * j, model=model, tenant=tenant, at=now - timedelta(minutes=2))
            ai_calls(5 + j, errors=j, model=model, tenant=tenant, at=now - timedelta(minutes=40))


def mixed_rules():
    rules, n = [], 0
    metrics = ("ai_error_rate", "ai_latency_p95_ms", "ai_tokens", "ai_cost_usd", "ai_calls")
    filter_sets = [{}, {"tenant": "globex"}, {"model": "claude"}, {"tenant": "acme", "model": "gpt-4o"}]
    filter_sets += [{"tenant": t, "model": m} for t in TENANTS for m in MODELS] + [{"tenant": "nobody"}]
    for metric in metrics:
        for window in (5, 60):
            for filters in filter_sets:
                n += 1
                rules.append(
                    AlertRule.objects.create(
                        name=f"r{n}", metric=metric, filters=filters, window_minutes=window, warning_threshold=1
                    )
                )
    rules.append(AlertRule.objects.create(name="logins", metric="failed_logins", warning_threshold=5))
    rules.append(AlertRule.objects.create(name="logins 2", metric="failed_logins", warning_threshold=9))
    rules.append(AlertRule.objects.create(name="cpu", metric="cpu_percent", warning_threshold=90))
    return rules


def test_measure_many_gives_each_rule_what_measuring_it_alone_gives():
    now = timezone.now()
    some_calls(now)
    metric_samples("system_cpu_percent", [50, 95, 99], at=now - timedelta(minutes=1))
    rules = mixed_rules()
    together = catalog.measure_many(rules, now)
    alone = {r.pk: catalog.measure(r, now - timedelta(minutes=r.window_minutes), now) for r in rules}
    assert set(together) == set(alone)
    for rule in rules:
        a, b = together[rule.pk], alone[rule.pk]
        assert a.samples == b.samples, rule.name
        expected = b.value if b.value is None else pytest.approx(b.value, rel=1e-6)
        assert a.value == expected, (rule.name, rule.metric, rule.filters)
    nobody = next(r for r in rules if r.filters == {"tenant": "nobody"})
    assert together[nobody.pk] == catalog.Measurement(None, 0)
    # and what the stats API says for the same window and filters (an independent query)
    from ailogs.queries import window_stats

    for rule in rules:
        if rule.metric in ("ai_error_rate", "ai_calls", "ai_cost_usd") and rule.filters.get("tenant") != "nobody":
            stats = window_stats(now - timedelta(minutes=rule.window_minutes), now, rule.filters or None)
            expected = {
                "ai_error_rate": stats["error_rate"],
                "ai_calls": stats["count"],
                "ai_cost_usd": stats["cost_usd"],
            }
            assert together[rule.pk].value == pytest.approx(expected[rule.metric]), rule.name
            assert together[rule.pk].samples == stats["count"]


def test_a_cycle_runs_one_query_per_source_group_not_per_rule(django_assert_max_num_queries):
    now = timezone.now()
    some_calls(now)
    rules = mixed_rules()  # 100 AI rules in 2 windows, 3 others (2 identical)
    # per window: one GROUP BY for the sums and one for the duration histograms of the p95 rules
    with django_assert_max_num_queries(2 * 2 + 2):
        measured = catalog.measure_many(rules, now)
    assert len(measured) == len(rules)


def test_a_long_window_reads_rollups_and_agrees_with_one_rule_at_a_time(settings):
    from ailogs import rollup

    settings.AILOGS_EXACT_WINDOW_HOURS = 1
    now = timezone.now()
    for hours in (3, 5):
        for tenant in TENANTS:
            ai_calls(20, errors=3, tenant=tenant, at=now - timedelta(hours=hours))
    ai_calls(4, errors=1, tenant="acme", at=now - timedelta(minutes=5))
    rollup.run()
    rules = [
        AlertRule.objects.create(
            name=f"{metric} {tenant}",
            metric=metric,
            filters={"tenant": tenant},
            window_minutes=8 * 60,
            warning_threshold=1,
        )
        for metric in ("ai_error_rate", "ai_calls", "ai_latency_p95_ms")
        for tenant in TENANTS
    ]
    together = catalog.measure_many(rules, now)
    for rule in rules:
        alone = catalog.measure(rule, now - timedelta(minutes=rule.window_minutes), now)
        assert together[rule.pk].samples == alone.samples
        assert together[rule.pk].value == pytest.approx(alone.value, rel=0.02), rule.name
        assert alone.value is not None
    acme_calls = next(r for r in rules if r.name == "ai_calls acme")
    assert together[acme_calls.pk] == catalog.Measurement(44.0, 44)


def test_a_cycle_fires_the_breaching_rules_and_leaves_quiet_ones_evaluated():
    now = timezone.now()
    ai_calls(30, errors=15, tenant="acme", at=now - timedelta(minutes=1))
    ai_calls(30, errors=0, tenant="globex", at=now - timedelta(minutes=1))
    loud = AlertRule.objects.create(
        name="acme", metric="ai_error_rate", filters={"tenant": "acme"}, critical_threshold=20
    )
    quiet = AlertRule.objects.create(
        name="globex", metric="ai_error_rate", filters={"tenant": "globex"}, critical_threshold=20
    )
    transitions = engine.evaluate_all(now)
    assert [(t.alert.rule.name, t.reason, t.severity) for t in transitions] == [("acme", "fired", "critical")]
    quiet.refresh_from_db()
    loud.refresh_from_db()
    assert quiet.last_evaluated_at == loud.last_evaluated_at == now
    assert not quiet.alerts.exists()
    assert engine.evaluate_all(now) == []  # the same minute again: nothing new
