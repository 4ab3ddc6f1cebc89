"""A cold page builds its sections on several PostgreSQL connections at once: the same figures as
one after another, the slowest first, and no connection left behind."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from conftest import wait_for
from dashboard import ranges
from dashboard.sections import TABS, Section, build_costs, cost_key
from tests.dashboard.factories import insert_ai_calls

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite builds the sections one after another")


@pytest.fixture
def builds(monkeypatch):
    """[(section key, thread name, PostgreSQL backend pid)] of every section built from now on."""
    seen = []
    original = Section._build

    def build(self, window):
        data = original(self, window)
        seen.append((self.key, threading.current_thread().name, connection.connection.info.backend_pid))
        return data

    monkeypatch.setattr(Section, "_build", build)
    return seen


def backend_pids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid for (pid,) in cursor.fetchall()}


def test_a_cold_tab_is_built_on_the_build_threads_with_the_figures_of_a_sequential_build(
    postgres_only, client_for, alice, builds, monkeypatch
):
    insert_ai_calls(60, minutes_ago=600)
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)  # both builds for the same instant (links carry it)
    client = client_for(alice)
    cache.clear()
    parallel = client.get("/admin/dashboard/ai/data/?range=24h").json()["sections"]
    assert len(builds) == len(parallel) > 1
    assert all(name.startswith("dashboard-build") for _, name, _ in builds), builds
    theirs = {pid for _, _, pid in builds}
    wait_for(lambda: not theirs & backend_pids())  # each build thread closed its connection
    cache.clear()
    builds.clear()
    with transaction.atomic():  # inside a transaction: one after another, on this connection
        sequential = client.get("/admin/dashboard/ai/data/?range=24h").json()["sections"]
    assert {name for _, name, _ in builds} == {threading.current_thread().name}
    assert parallel == sequential
    assert any(card.get("value") for section in parallel for card in section.get("cards", ()))


def test_a_section_that_fails_on_a_build_thread_fails_the_page_not_silently(
    postgres_only, client_for, alice, monkeypatch
):
    failing = TABS["ai"].sections[1].key
    threads = []
    original = Section._build

    def build(self, window):
        threads.append(threading.current_thread().name)
        if self.key == failing:
            raise RuntimeError("section exploded")
        return original(self, window)

    monkeypatch.setattr(Section, "_build", build)
    cache.clear()
    with pytest.raises(RuntimeError, match="section exploded"):
        client_for(alice).get("/admin/dashboard/ai/data/?range=24h")
    assert threads and all(name.startswith("dashboard-build") for name in threads), threads


def test_the_section_that_took_longest_last_time_starts_first(postgres_only, client_for, alice, monkeypatch):
    client = client_for(alice)
    sections = list(TABS["ai"].sections)
    window = ranges.parse({"range": "24h"})
    client.get("/admin/dashboard/ai/data/?range=24h")  # every section's build time is now known
    assert all(cost > 0 for cost in build_costs(sections, window))
    slowest = sections[-2].key  # in declared order it would start fourth (after the sessions ranking)
    cache.set(cost_key(slowest, window), 60.0)
    started = []
    original = Section._build
    monkeypatch.setattr(Section, "_build", lambda self, window: started.append(self.key) or original(self, window))
    cache.delete_many([f"dashboard:v2:{section.key}:24h:" for section in sections])
    client.get("/admin/dashboard/ai/data/?range=24h")
    assert slowest in started[:2], started  # two build threads: it is one of the first two


def test_before_any_build_time_is_known_the_sessions_ranking_starts_first(
    postgres_only, client_for, alice, monkeypatch
):
    """A new install's first view (or one after Redis lost the cache): no build time is known,
    and the slowest section of the AI tab, declared last, must not start last."""
    started = []
    original = Section._build
    monkeypatch.setattr(Section, "_build", lambda self, window: started.append(self.key) or original(self, window))
    cache.clear()
    client_for(alice).get("/admin/dashboard/ai/data/?range=30d")
    assert TABS["ai"].sections[-1].key == "ai_traces"
    assert "ai_traces" in started[:2], started


def test_a_tab_of_cheap_sections_is_built_in_the_request_thread(postgres_only, client_for, alice, builds):
    client = client_for(alice)
    client.get("/admin/dashboard/feedback/data/?range=24h")  # their build times are now known: milliseconds
    builds.clear()
    cache.delete_many([f"dashboard:v2:{section.key}:24h:" for section in TABS["feedback"].sections])
    client.get("/admin/dashboard/feedback/data/?range=24h")
    assert {name for _, name, _ in builds} == {threading.current_thread().name}
