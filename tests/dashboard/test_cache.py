"""Each range's data is computed at most once per 30 s; older copies are answered while refreshed."""

from django.core.cache import cache

from conftest import wait_for
from dashboard import sources


def counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def test_it_reuses_fresh_data():
    calls, compute = counter()
    assert sources.cached("t:fresh", compute) == 1
    assert sources.cached("t:fresh", compute) == 1
    assert len(calls) == 1


def test_it_caches_a_computed_none():
    calls = []
    assert sources.cached("t:none", lambda: calls.append(1)) is None
    assert sources.cached("t:none", lambda: calls.append(1)) is None
    assert len(calls) == 1


def test_it_answers_stale_data_at_once_and_refreshes_it_behind(monkeypatch):
    calls, compute = counter()
    sources.cached("t:stale", compute)
    key = "dashboard:v2:t:stale"
    computed_at, value = cache.get(key)
    cache.set(key, (computed_at - sources.FRESH_SECONDS - 1, value), 60)
    assert sources.cached("t:stale", compute) == 1  # the old value, without waiting
    wait_for(lambda: cache.get(key)[1] == 2)
    assert sources.cached("t:stale", compute) == 2
    assert len(calls) == 2


def test_it_warms_the_default_overview(db):
    from dashboard.tasks import warm_overview

    assert warm_overview() == 6
    assert cache.get("dashboard:v2:targets:24h:")[1]["tables"][0]["id"] == "targets"


def test_it_warms_every_tab_and_range_so_no_first_view_waits(db, client_for, alice, monkeypatch):
    from dashboard import ranges
    from dashboard.sections import TABS
    from dashboard.tasks import warm_all

    sections = sum(len(tab.sections) for tab in TABS.values())
    assert warm_all() == sections * len(ranges.RANGES)
    for key in ranges.RANGES:
        assert cache.get(f"dashboard:v2:ai_errors:{key}:") is not None
    # A page view after warming computes nothing itself: every section comes from the cache.
    import dashboard.sections as module

    computed = []
    original = module.cached
    monkeypatch.setattr(
        module, "cached", lambda key, fn, force=False: original(key, lambda: computed.append(key) or fn(), force)
    )
    assert client_for(alice).get("/admin/dashboard/ai/?range=30d").status_code == 200
    assert computed == []
