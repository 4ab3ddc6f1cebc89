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
