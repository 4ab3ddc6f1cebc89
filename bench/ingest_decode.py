"""CPU per request body of decode + validation on the ingest paths, in-process (no server, no
database writes): the field-by-field path (json + hand checks) against the one-pass msgspec path.

CPU time (time.process_time) rather than wall time, so the figure moves little with the load of a
shared machine. Env: INGEST_DECODE_REPEAT (default 60).
"""

import json
import os
import statistics
import time

from bench import _common

REPEAT = int(os.environ.get("INGEST_DECODE_REPEAT", "60"))


def cpu_ms(func) -> float:
    times = []
    for _ in range(REPEAT):
        began = time.process_time()
        func()
        times.append((time.process_time() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    _common.setup_django()
    from ailogs.ingest import Context, decode_valid, validate
    from bench.ailogs_steady import Bodies
    from metrics import ingest as metrics_ingest

    calls = Bodies()()
    samples = json.dumps(
        [
            {
                "name": "http_latency_ms",
                "value": i * 1.5,
                "tags": {"route": "/api/x", "method": "GET"},
                "timestamp": "2026-12-02T10:00:00Z",
                "event_id": f"0190f0c0-0000-7000-8000-{i:012x}",
            }
            for i in range(1000)
        ]
    ).encode()

    def calls_by_hand():
        context = Context()
        return [validate(item, context) for item in json.loads(calls)]

    def samples_by_hand():
        return metrics_ingest.validate_batch(json.loads(samples))

    assert decode_valid(calls) is not None and metrics_ingest.decode_valid(samples) is not None
    load = open("/proc/loadavg").read().split()[:3]  # noqa: SIM115
    for label, func in (
        ("AI calls, 500 events: json + hand checks", calls_by_hand),
        ("AI calls, 500 events: msgspec one pass", lambda: decode_valid(calls)),
        ("metric samples, 1000: json + hand checks", samples_by_hand),
        ("metric samples, 1000: msgspec one pass", lambda: metrics_ingest.decode_valid(samples)),
    ):
        print(f"{label:<44} median CPU {cpu_ms(func):6.2f} ms  (load {' '.join(load)})")
