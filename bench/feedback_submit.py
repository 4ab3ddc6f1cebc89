"""What one widget submission costs in-process (no network): site and origin check, cache rate
limit, validation, bot traps (one indexed duplicate lookup) and the INSERT; plus the preflight
and what the CORS receiver adds to every other request. Rows it creates are deleted again."""

import json
import os
import statistics
import time


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monitoring_site.settings")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
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
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    print(f"{label:<48} median {statistics.median(samples):.3f} ms   p99 {p99:.3f} ms   (n={len(samples)})")


def _poster(site, origin):
    from django.test import Client

    from feedback.spam import render_token

    client, counter = Client(), iter(range(10**9))
    token = render_token(site.public_key)

    def post():
        body = {
            "site_key": site.public_key,
            "message": f"Answer {next(counter)} was wrong",
            "category": "bug",
            "token": token,
        }
        response = client.post(
            "/api/v1/feedback/", json.dumps(body), content_type="application/json", headers={"Origin": origin}
        )
        assert response.status_code == 201, response.content

    return post


def main() -> None:
    _setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, RequestFactory

    from feedback.cors import allow_site_origins
    from feedback.models import FeedbackSite

    settings.FEEDBACK_RATE_PER_MINUTE = settings.FEEDBACK_RATE_PER_DAY = settings.FEEDBACK_SITE_RATE_PER_MINUTE = 10**9
    settings.FEEDBACK_MIN_SUBMIT_SECONDS = 0
    origin = "https://bench.example"
    site = FeedbackSite.objects.create(name=f"bench-{time.time_ns()}", allowed_origins=origin)
    try:
        print(f"database: {connection.vendor}, cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 2)[-2]}")
        _report("POST /api/v1/feedback/ (stored, pending)", _time(_poster(site, origin), 500))
        preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        _report(
            "OPTIONS preflight, allowed origin",
            _time(lambda: Client().options("/api/v1/feedback/", headers=preflight), 500),
        )
        other = RequestFactory().get("/api/health", headers={"Origin": origin})
        _report("CORS receiver on a non-feedback request", _time(lambda: allow_site_origins(None, other), 20_000))
    finally:
        site.feedback_set.all().delete()
        site.delete()
