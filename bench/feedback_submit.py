"""What one widget submission costs in-process (no network): site and origin check, cache rate
limit, validation, bot traps (one indexed duplicate lookup) and the INSERT; plus the preflight
and what the CORS receiver adds to every other request. Rows it creates are deleted again."""

import json
import time

from bench._common import report, setup_django, time_calls


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
    setup_django()
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
        report("POST /api/v1/feedback/ (stored, pending)", time_calls(_poster(site, origin), 500))
        preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        report(
            "OPTIONS preflight, allowed origin",
            time_calls(lambda: Client().options("/api/v1/feedback/", headers=preflight), 500),
        )
        other = RequestFactory().get("/api/health", headers={"Origin": origin})
        report("CORS receiver on a non-feedback request", time_calls(lambda: allow_site_origins(None, other), 20_000))
    finally:
        site.feedback_set.all().delete()
        site.delete()
