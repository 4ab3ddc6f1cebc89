"""What API-key authentication adds to a request: hashing, the first (database) lookup, and the
cached lookup every later request pays. Target: under 5 ms added per request."""

from bench._common import report, setup_django, time_calls


def main() -> None:
    setup_django()
    from django.db import connection

    from monitoring_site.api_keys import key_cache, lookup_key
    from monitoring_site.models import ApiKey, hash_key

    key, raw = ApiKey.issue("bench", ["ailogs:write"])
    try:
        print(f"database: {connection.vendor}")
        report("sha256 of a key", time_calls(lambda: hash_key(raw), 20_000))

        def uncached():
            key_cache.clear()
            lookup_key(raw)

        report("lookup, cache cold (one indexed SELECT)", time_calls(uncached, 2_000))
        lookup_key(raw)
        report("lookup, cache warm (every later request)", time_calls(lambda: lookup_key(raw), 20_000))
    finally:
        key.delete()
