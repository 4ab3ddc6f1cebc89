"""Ping endpoints, healthchecks.io's shapes, without login: /ping/<uuid>[/start|/fail|/<exit status>]."""

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from checks.models import PING_BODY_LIMIT, Ping
from checks.services import PingData, RateLimited, record_ping


def _text(body: str, status: int) -> HttpResponse:
    response = HttpResponse(body + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _body(request: HttpRequest) -> tuple[str, bool]:
    """The first 10 KB of the body, read from the stream so a huge body is never held in memory."""
    if request.method != "POST":
        return "", False
    raw = request.read(PING_BODY_LIMIT + 1)
    return raw[:PING_BODY_LIMIT].decode("utf-8", errors="replace"), len(raw) > PING_BODY_LIMIT


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _ping(request: HttpRequest, code: str, kind: str, exit_status: int | None = None) -> HttpResponse:
    try:
        parsed = uuid.UUID(code)
    except ValueError:
        return _text("not found: no check has this ping URL (it is not a UUID)", 404)
    body, truncated = _body(request)
    data = PingData(
        kind=kind,
        exit_status=exit_status,
        method=request.method,
        remote_addr=_client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        body=body,
        body_truncated=truncated,
    )
    limit = settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE
    try:
        stored = record_ping(parsed, data, rate_limit=limit)  # counts the ping in the check's row
    except RateLimited:
        return _text(f"rate limited: at most {limit} pings per minute", 429)
    if not stored:
        return _text("not found: no check has this ping URL", 404)
    return _text("OK", 200)


ALLOWED = ["GET", "POST", "HEAD"]


@csrf_exempt
@require_http_methods(ALLOWED)
def success(request: HttpRequest, code: str) -> HttpResponse:
    return _ping(request, code, Ping.Kind.SUCCESS)


@csrf_exempt
@require_http_methods(ALLOWED)
def start(request: HttpRequest, code: str) -> HttpResponse:
    return _ping(request, code, Ping.Kind.START)


@csrf_exempt
@require_http_methods(ALLOWED)
def fail(request: HttpRequest, code: str) -> HttpResponse:
    return _ping(request, code, Ping.Kind.FAIL)


@csrf_exempt
@require_http_methods(ALLOWED)
def exit_status(request: HttpRequest, code: str, status: str) -> HttpResponse:
    if not status.isdigit() or int(status) > 255:
        return _text(f"bad request: {status!r} is not an exit status (use 0-255, start or fail)", 400)
    value = int(status)
    return _ping(request, code, Ping.Kind.SUCCESS if value == 0 else Ping.Kind.FAIL, value)
