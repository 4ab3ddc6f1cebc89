"""What API-key authentication adds to a request: hashing, the first (database) lookup, and the
cached lookup every later request pays. Target: under 5 ms added per request."""

import os
import statistics
import time


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _time(func, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"{label:<44} median {statistics.median(samples):.4f} ms   p99 {p99:.4f} ms   (n={len(samples)})")


def main() -> None:
    _setup()
    from django.db import connection

    from monitoring_site.api_keys import key_cache, lookup_key
    from monitoring_site.models import ApiKey, hash_key

    key, raw = ApiKey.issue("bench", ["ailogs:write"])
    try:
        print(f"database: {connection.vendor}")
        _report("sha256 of a key", _time(lambda: hash_key(raw), 20_000))

        def uncached():
            key_cache.clear()
            lookup_key(raw)

        _report("lookup, cache cold (one indexed SELECT)", _time(uncached, 2_000))
        lookup_key(raw)
        _report("lookup, cache warm (every later request)", _time(lambda: lookup_key(raw), 20_000))
    finally:
        key.delete()
