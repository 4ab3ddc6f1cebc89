"""Demo history for `seed_demo`: this site's requests with latency tails, host and queue metrics
with a queue backlog episode (6 h ago) and a memory climb (last 12 h), then rolled up."""

import math
import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from metrics import rollups, windows
from metrics.ingest import store
from metrics.models import RequestMinute
from metrics.usage import LOGIN_METRIC
from monitoring_site.lib.histogram import LogHistogram

STEP = timedelta(minutes=5)
ROUTES = {
    "/api/v1/ai-logs/": ("POST", 60, 40),
    "/api/v1/metrics/": ("POST", 30, 15),
    "/admin/": ("GET", 8, 120),
    "/api/v1/feedback/": ("POST", 3, 50),
}

CLIENT_ERROR_SHARE = {"/api/v1/feedback/": 0.06, "/admin/": 0.01}


def seed(days: int, events: int, stdout) -> None:
    rng = random.Random(42)
    now = timezone.now()
    start = now - timedelta(days=min(days, settings.RETENTION_METRIC_SAMPLES_DAYS - 1))
    steps = int((now - start) / STEP)
    minutes = [_requests(rng, start + STEP * i) for i in range(steps)]
    RequestMinute.objects.bulk_create([row for rows in minutes for row in rows], batch_size=1000)
    samples = [row for i in range(steps) for row in _host_samples(rng, start + STEP * i, now)]
    samples += _logins(rng, start, now)
    store_in_batches(samples)
    done = rollups.run(now, hours=int((now - windows.floor(start, "hour")).total_seconds() // 3600))
    stdout.write(
        f"  metrics: {sum(map(len, minutes))} request minutes, {len(samples)} samples, {done['hours']} hours rolled up"
    )


def store_in_batches(rows: list[dict], size: int = 5000) -> None:
    for offset in range(0, len(rows), size):
        store(rows[offset : offset + size])


def _requests(rng: random.Random, moment) -> list[RequestMinute]:
    daily = 0.6 + 0.4 * math.sin((moment.hour - 6) / 24 * 2 * math.pi)  # busier in the afternoon
    rows = []
    for route, (method, per_minute, median_ms) in ROUTES.items():
        count = max(1, int(rng.gauss(per_minute * daily * 5, per_minute)))
        durations = [
            rng.lognormvariate(math.log(median_ms), 0.5) * (rng.random() < 0.01 and 20 or 1) for _ in range(count)
        ]
        errors = sum(rng.random() < 0.01 for _ in range(count))
        # Clients get some wrong too (bad keys, invalid bodies): the 4xx line needs something to draw.
        refused = sum(rng.random() < CLIENT_ERROR_SHARE.get(route, 0.02) for _ in range(count - errors))
        classes = (
            ("5xx", durations[:errors]),
            ("4xx", durations[errors : errors + refused]),
            ("2xx", durations[errors + refused :]),
        )
        for klass, values in classes:
            if values:
                rows.append(_minute(moment, route, method, klass, values))
    return rows


def _minute(moment, route, method, klass, values) -> RequestMinute:
    return RequestMinute(
        minute=moment.replace(second=0, microsecond=0),
        route=route,
        method=method,
        status_class=klass,
        count=len(values),
        duration_sum_ms=sum(values),
        duration_min_ms=min(values),
        duration_max_ms=max(values),
        histogram=LogHistogram.of(values).to_json(),
        process="demo",
    )


def _host_samples(rng: random.Random, moment, now) -> list[dict]:
    hours_ago = (now - moment).total_seconds() / 3600
    backlog = 1500 * math.sin((6.5 - hours_ago) / 0.7 * math.pi) if 5.8 < hours_ago < 6.5 else rng.randint(0, 8)
    memory = 55 + (12 - hours_ago) * 2.3 if hours_ago < 12 else rng.gauss(55, 2)
    values = [
        ("system_cpu_percent", min(100, max(1, rng.gauss(35, 12))), {}),
        ("system_memory_used_percent", min(99, memory + rng.gauss(0, 0.5)), {}),
        ("system_disk_free_percent", 62 - (24 * 30 - hours_ago) * 0.001, {}),
        ("db_roundtrip_ms", rng.lognormvariate(math.log(0.8), 0.4), {}),
        ("db_connection_failures", 0, {}),
        ("celery_queue_depth", max(0, backlog), {"queue": "celery"}),
        ("celery_queue_depth", rng.randint(0, 2), {"queue": "notifications"}),
        (
            "celery_task_duration_seconds",
            rng.lognormvariate(math.log(0.4), 0.8) * (backlog > 100 and 40 or 1),
            {"task": "ailogs.tasks.ingest"},
        ),
        ("active_sessions", max(0, int(rng.gauss(40, 8))), {}),
        ("storage_used_bytes", 5_000_000 + (24 * 30 - hours_ago) * 1000, {"kind": "exports"}),
    ]
    return [
        {
            "name": name,
            "type": "gauge",
            "value": float(value),
            "unit": "",
            "tags": tags,
            "source": "demo",
            "route": "",
            "timestamp": moment,
            "event_id": None,
        }
        for name, value, tags in values
    ]


def _logins(rng: random.Random, start, now) -> list[dict]:
    """Sign-ins of this site's users (the demo accounts), for "Daily active users": site users."""
    from django.contrib.auth import get_user_model

    users = list(get_user_model().objects.values_list("pk", flat=True))
    rows = []
    day = start
    while users and day < now:
        for pk in users:
            if rng.random() < 0.7:
                moment = min(now, day + timedelta(hours=rng.uniform(7, 19)))
                rows.append(
                    {
                        "name": LOGIN_METRIC,
                        "type": "counter",
                        "value": 1.0,
                        "unit": "",
                        "tags": {"user": str(pk)},
                        "source": "auth",
                        "route": "",
                        "timestamp": moment,
                        "event_id": None,
                    }
                )
        day += timedelta(days=1)
    return rows
