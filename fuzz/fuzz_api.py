"""Coverage-guided fuzzing of the JSON parser and the ingest endpoints with atheris (issue 13).

    make fuzz                                   # every target, FUZZ_SECONDS (60) each
    .venv/bin/python fuzz/fuzz_api.py ai-logs var/fuzz/ai-logs fuzz/corpus/ai-logs -max_total_time=30

A target gets each input as a raw request body and fails on any answer of 500 or more, or, for
`parser`, on any exception other than the 4xx the parser means to raise. It posts through Django's
test client to the real endpoints, so it fuzzes whatever validates behind them. New inputs that
reach new code are written to the first directory (under var/, never the seed corpus in the repo).
"""

import io
import os
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("parser", "ai-logs", "metrics", "feedback")
ORIGIN = "https://shop.example"


def _django() -> None:
    """Set up Django on a fresh SQLite database under var/fuzz (never the developer's own)."""
    var = ROOT / "var" / "fuzz"
    var.mkdir(parents=True, exist_ok=True)
    database = var / "fuzz.sqlite3"
    database.unlink(missing_ok=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="monitoring_site.settings",
        VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{database}",
        REDIS_URL="",
        DJANGO_SECURE_SSL_REDIRECT="false",
        METRICS_REQUEST_FLUSH_SECONDS="0",
        FEEDBACK_RATE_PER_MINUTE="1000000000",
        FEEDBACK_RATE_PER_DAY="1000000000",
        FEEDBACK_SITE_RATE_PER_MINUTE="1000000000",
        API_RATE_LIMIT_PER_MINUTE="1000000000",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _poster(target: str):
    """Return post(body) -> status code for an endpoint target."""
    from django.test import Client

    from feedback.models import FeedbackSite
    from monitoring_site.models import ApiKey

    client = Client(raise_request_exception=True)
    if target == "feedback":
        FeedbackSite.objects.create(name="Shop", allowed_origins=ORIGIN)
        headers = {"Origin": ORIGIN}
        path = "/api/v1/feedback/"
    else:
        scope = {"ai-logs": "ailogs:write", "metrics": "metrics:write"}[target]
        headers = {"Authorization": f"Bearer {ApiKey.issue(f'fuzz-{target}', [scope])[1]}"}
        path = f"/api/v1/{target}/"

    def post(body: bytes) -> int:
        return client.post(path, body, content_type="application/json", headers=headers).status_code

    return post


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: fuzz_api.py {{{'|'.join(TARGETS)}}} [corpus dirs] [libFuzzer flags]")
    target = sys.argv.pop(1)
    with atheris.instrument_imports(include=["monitoring_site", "ailogs", "metrics", "feedback"]):
        _django()
        from rest_framework.exceptions import APIException

        import monitoring_site.urls  # noqa: F401  (imports every API view and validator, instrumented)
        from monitoring_site.parsers import LimitedJSONParser

    if target == "parser":
        parser = LimitedJSONParser()

        def test_one_input(data: bytes) -> None:
            try:
                parser.parse(io.BytesIO(data))
            except APIException as exc:
                assert 400 <= exc.status_code < 500, exc  # noqa: S101 (the fuzzer's failure signal)

    else:
        post = _poster(target)

        def test_one_input(data: bytes) -> None:
            status = post(data)
            assert status < 500, f"{target} answered {status} to {data[:200]!r}"  # noqa: S101

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
