"""Shared by the in-process benchmarks: Django set-up and timing of repeated calls."""

import os
import statistics
import time


def setup_django() -> None:
    """Configure Django for DATABASE_URL and migrate it (benchmarks own their database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def time_calls(func, repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(label: str, samples: list[float], width: int = 48) -> None:
    samples = sorted(samples)
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    print(f"{label:<{width}} median {statistics.median(samples):.4f} ms   p99 {p99:.4f} ms   (n={len(samples)})")


def http_load(port: int, next_request, threads: int, seconds: float, classify=None) -> dict:
    """Send requests from `threads` threads for `seconds` and return rate, p50/p99 and statuses.

    `next_request()` returns (method, path, body, headers) and is called under a lock, so it may
    draw from a shared iterator. `classify(status, answer)` may fold the answer into the status
    counted (e.g. a non-empty OTLP 200 is a partial success); by default the status is counted.
    """
    import http.client
    import threading

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker():
        while time.monotonic() < end:
            with lock:
                method, path, body, headers = next_request()
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                answer = response.read()
                status = classify(response.status, answer) if classify else response.status
            except OSError:
                status = 0
            finally:
                conn.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "statuses": statuses,
    }
