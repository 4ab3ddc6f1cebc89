"""A real streaming replica behind gunicorn: the read-only pages read from it, writes go to the
primary, and reads fall back to the primary (with /api/health saying so) when it is down or late.

Which server ran a statement is read from each server's own pg_stat_statements counters.
"""

import uuid
from pathlib import Path

import pytest
import requests

from conftest import wait_for
from tests.scaling import site

AI_READS = "select%ailogs_aicall%"
MAX_LAG = 2


@pytest.fixture(scope="module")
def site_env(pg_cluster):
    """The environment of a deployment on the cluster's primary + replica, migrated; (env, API key)."""
    var_dir = Path(pg_cluster.root) / "site"
    var_dir.mkdir(exist_ok=True)
    env = site.environment(
        var_dir,
        DATABASE_URL=pg_cluster.primary_url,
        DATABASE_REPLICA_URL=pg_cluster.replica_url,
        DATABASE_REPLICA_MAX_LAG_SECONDS=str(MAX_LAG),
        DATABASE_REPLICA_CHECK_SECONDS="0",  # measure before every read: no waiting in the tests
    )
    key = site.prepare(env)
    # Calls in past hours, rolled up: the 24 h stats then read rollups and their histograms too.
    pg_cluster.seed_ai_calls(2000, hours=20)
    site.manage(env, "rollup_ailogs")
    return env, key


@pytest.fixture(scope="module")
def served(pg_cluster, site_env):
    """gunicorn on the cluster's primary + replica; yields (base_url, API headers, cluster)."""
    env, key = site_env
    with site.Gunicorn(env, workers=1) as url:
        yield url, {"Authorization": f"Bearer {key}"}, pg_cluster


def ingest(url: str, headers: dict, count: int, **fields) -> None:
    events = [
        {"event_id": str(uuid.uuid4()), "function": "answer", "provider": "openai", "model": "gpt-4o-mini",
         "status": "success", "duration_ms": 120.0, "prompt_tokens": 10, "completion_tokens": 5, **fields}
        for _ in range(count)
    ]  # fmt: skip
    response = requests.post(f"{url}/api/v1/ai-logs/", json=events, headers=headers, timeout=10)
    assert response.status_code == 201, response.text


def total_calls(url: str, headers: dict) -> int:
    response = requests.get(f"{url}/api/v1/ai-logs/stats/?window=24h&group_by=model", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def health(url: str) -> dict:
    return requests.get(f"{url}/api/health", timeout=10).json()


def test_writes_go_to_the_primary_and_reach_the_replica(served):
    url, headers, pg = served
    count = "SELECT count(*) FROM ailogs_aicall"
    before = pg.sql("primary", count)[0]
    ingest(url, headers, 3)  # a hot standby refuses writes: a 201 means the primary took them
    assert pg.sql("primary", count)[0] == before + 3
    pg.wait_replayed()
    assert pg.sql("replica", count)[0] == before + 3


def test_the_dashboard_and_the_stats_read_from_the_replica(served):
    url, headers, pg = served
    ingest(url, headers, 2)
    pg.wait_replayed()
    expected = pg.sql("primary", "SELECT count(*) FROM ailogs_aicall")[0]
    primary, replica = pg.calls("primary", AI_READS), pg.calls("replica", AI_READS)

    assert total_calls(url, headers) == expected
    page = site.admin_session(url).get(f"{url}/admin/dashboard/ai/?range=24h", timeout=30)
    assert page.status_code == 200

    assert pg.calls("replica", AI_READS) > replica
    assert pg.calls("primary", AI_READS) == primary
    body = health(url)
    assert body["services"]["replica"]["status"] == "connected"
    assert body["services"]["replica"]["reads_from"] == "replica"


def test_a_trace_is_read_from_the_replica(served):
    url, headers, pg = served
    trace_id = uuid.uuid4().hex
    ingest(url, headers, 2, trace_id=trace_id)
    pg.wait_replayed()
    primary, replica = pg.calls("primary", "select%traces_span%"), pg.calls("replica", "select%traces_span%")
    response = requests.get(f"{url}/api/v1/traces/{trace_id}/", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert pg.calls("replica", "select%traces_span%") > replica
    assert pg.calls("primary", "select%traces_span%") == primary


def test_a_public_status_page_is_read_from_the_replica(served, site_env):
    url, _, pg = served
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    site.manage(
        site_env[0],
        "shell",
        "-c",
        "from checks.models import Check; from incidents.models import StatusPage, StatusPageComponent; "
        f"page = StatusPage.objects.create(slug='{slug}', title='Acme'); "
        "check = Check.objects.create(name='backup', period_seconds=3600, grace_seconds=600); "
        "StatusPageComponent.objects.create(page=page, public_name='Backups', check_item=check)",
    )
    pg.wait_replayed()
    reads = "select%incidents_statuspage%"
    primary, replica = pg.calls("primary", reads), pg.calls("replica", reads)
    response = requests.get(f"{url}/status-page/{slug}.json", timeout=10)
    assert response.status_code == 200, response.text
    assert [c["name"] for c in response.json()["components"]] == ["Backups"]
    assert pg.calls("replica", reads) > replica
    assert pg.calls("primary", reads) == primary


def test_the_dashboard_warmers_and_the_reports_read_from_the_replica(site_env, pg_cluster):
    env, _ = site_env
    pg_cluster.wait_replayed()
    primary, replica = pg_cluster.calls("primary", AI_READS), pg_cluster.calls("replica", AI_READS)
    site.manage(
        env,
        "shell",
        "-c",
        "from dashboard.tasks import warm_all; from alerts.reports import build; warm_all(); build('daily')",
    )
    assert pg_cluster.calls("replica", AI_READS) > replica
    assert pg_cluster.calls("primary", AI_READS) == primary


def test_reads_fall_back_to_the_primary_while_the_replica_is_down(served):
    url, headers, pg = served
    pg.pg_ctl("replica", "stop")
    try:
        ingest(url, headers, 1)
        expected = pg.sql("primary", "SELECT count(*) FROM ailogs_aicall")[0]
        primary = pg.calls("primary", AI_READS)
        assert total_calls(url, headers) == expected
        assert pg.calls("primary", AI_READS) > primary

        response = requests.get(f"{url}/api/health", timeout=10)
        body = response.json()
        assert response.status_code == 200  # the site works on the primary alone: limited, not down
        assert body["status"] == "limited"
        replica = body["services"]["replica"]
        assert (replica["status"], replica["state"], replica["reads_from"]) == ("degraded", "down", "primary")
        assert any(note.startswith("read replica degraded") for note in body["notes"])
    finally:
        pg.pg_ctl("replica", "start")
    wait_for(lambda: health(url)["services"]["replica"]["status"] == "connected", timeout=30)


def test_a_replica_further_behind_than_the_limit_is_skipped_and_reported(served):
    url, headers, pg = served
    pg.sql("replica", "SELECT pg_wal_replay_pause()")
    try:
        ingest(url, headers, 4)  # received by the replica, not replayed
        replica = wait_for(
            lambda: (r := health(url)["services"]["replica"])["state"] == "lagging" and r["lag_seconds"] and r,
            timeout=30,
        )
        assert replica["status"] == "degraded"
        assert replica["lag_seconds"] > MAX_LAG
        assert replica["max_lag_seconds"] == MAX_LAG
        # The four new calls are on the primary only, and the stats show them: read from the primary.
        fresh = pg.sql("primary", "SELECT count(*) FROM ailogs_aicall")[0]
        assert pg.sql("replica", "SELECT count(*) FROM ailogs_aicall")[0] < fresh
        assert total_calls(url, headers) == fresh
    finally:
        pg.sql("replica", "SELECT pg_wal_replay_resume()")
    wait_for(lambda: health(url)["services"]["replica"]["status"] == "connected", timeout=30)
