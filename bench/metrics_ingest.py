"""Batch metric ingest on PostgreSQL: the API's path (hand validation + COPY into the day-partitioned
table via insert_new_rows) against a raw COPY of the same rows, in the same run.
Target: >= 50,000 samples/s."""

import random
import statistics
import time
import uuid
from datetime import timedelta

from bench._metrics_setup import environment, setup

TOTAL = 200_000
BATCH = 1_000


def _items(count: int, with_event_ids: bool) -> list[dict]:
    rng = random.Random(1)
    now = __import__("django.utils.timezone", fromlist=["now"]).now()
    return [
        {
            "name": f"svc_latency_ms_{i % 20}",
            "type": "histogram",
            "value": rng.lognormvariate(4, 1),
            "unit": "ms",
            "tags": {"service": f"svc{i % 7}", "region": "eu"},
            "source": "bench",
            "timestamp": (now - timedelta(seconds=i % 86_400)).isoformat(),
            **({"event_id": str(uuid.uuid4())} if with_event_ids else {}),
        }
        for i in range(count)
    ]


def _ingest(items: list[dict]) -> float:
    from metrics import ingest
    from monitoring_site.lib.gc import gc_paused

    started = time.perf_counter()
    for offset in range(0, len(items), BATCH):
        with gc_paused():  # as the API view does
            rows, errors = ingest.validate_batch(items[offset : offset + BATCH])
            assert not errors, errors[:1]
            ingest.store(rows)
    return len(items) / (time.perf_counter() - started)


def _raw_copy(items: list[dict]) -> float:
    """COPY the already-validated rows straight into the partitioned table, 1,000 per transaction."""
    from django.db import connection, transaction
    from psycopg.types.json import Jsonb

    from metrics import ingest
    from monitoring_site.lib.gc import gc_paused

    rows = []
    for offset in range(0, len(items), BATCH):
        rows.extend(ingest.validate_batch(items[offset : offset + BATCH])[0])
    columns = ["name", "type", "value", "unit", "tags", "source", "route", "timestamp"]
    started = time.perf_counter()
    for offset in range(0, len(rows), BATCH):
        with gc_paused(), transaction.atomic(), connection.cursor() as cursor:  # same footing
            with cursor.cursor.copy(f"COPY metrics_metricsample ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows[offset : offset + BATCH]:
                    copy.write_row([Jsonb(row[c]) if c == "tags" else row[c] for c in columns])
    return len(rows) / (time.perf_counter() - started)


def _through_http(items: list[dict], requests: int = 40) -> float:
    import json

    from django.test import Client

    from monitoring_site.models import ApiKey

    _, raw = ApiKey.issue("bench-metrics", ["metrics:write"], rate_limit_per_minute=1_000_000)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    bodies = [json.dumps(items[i * BATCH : (i + 1) * BATCH]) for i in range(requests)]
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/metrics/", body, content_type="application/json", secure=True)
        assert response.status_code == 201, response.content[:200]
    return requests * BATCH / (time.perf_counter() - started)


def main() -> None:
    setup()
    print(environment())
    items = _items(TOTAL, with_event_ids=False)
    _raw_copy(items[:10_000])  # warm-up: first touch of the partitions and caches
    # Interleaved rounds, so load changes on the shared machine hit both paths alike.
    rounds = [(_raw_copy(chunk), _ingest(chunk)) for chunk in (items[i : i + 50_000] for i in range(0, TOTAL, 50_000))]
    copy_rate = statistics.median(r[0] for r in rounds)
    ingest_rate = statistics.median(r[1] for r in rounds)
    print(f"(medians of {len(rounds)} interleaved rounds of 50,000)")
    print(f"raw COPY, {BATCH} rows/txn:                       {copy_rate:>10,.0f} samples/s")
    print(
        f"validate + insert_new_rows, batches of {BATCH}:   {ingest_rate:>10,.0f} samples/s  ({ingest_rate / copy_rate:.0%} of raw COPY)"
    )
    keyed = _ingest(_items(TOTAL // 2, with_event_ids=True))
    print(
        f"same, every sample with an event_id:            {keyed:>10,.0f} samples/s  ({keyed / copy_rate:.0%} of raw COPY)"
    )
    http = _through_http(_items(40 * BATCH, with_event_ids=False))
    print(f"POST /api/v1/metrics/ (in-process, full stack):  {http:>10,.0f} samples/s")
    verdict = "PASS" if ingest_rate >= 50_000 else "FAIL"
    print(f"target >= 50,000 samples/s: {verdict}")
