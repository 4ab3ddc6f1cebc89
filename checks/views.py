"""Ping endpoints, healthchecks.io's shapes, without login: /ping/<uuid>[/start|/fail|/<exit status>]."""

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

from checks.models import PING_BODY_LIMIT, Ping
from checks.services import PingData, record_ping

logger = logging.getLogger(__name__)
RATE_WINDOW_SECONDS = 60
_cache_down_until = 0.0


def _text(body: str, status: int) -> HttpResponse:
    response = HttpResponse(body + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _rate_limited(code: uuid.UUID) -> bool:
    """A fixed one-minute window per check in the cache; fails open when the cache is down."""
    global _cache_down_until
    now = time.time()
    if now < _cache_down_until:
        return False
    key = f"ping-rl:{code.hex}:{int(now // RATE_WINDOW_SECONDS)}"
    try:
        count = _count(key)
    except Exception as exc:
        logger.warning("ping rate-limit cache unavailable, failing open: %s", exc)
        _cache_down_until = now + 5
        return False
    return count > settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE


def _count(key: str) -> int:
    """Count a ping in this minute's window and return the count. On Redis one round trip
    (create with its expiry unless present, then increment, pipelined); the cache's incr/add
    took one and two more on each check's first ping of a minute."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.client.make_key(key)
        pipeline = get_redis_connection("default").pipeline(transaction=False)
        _, count = pipeline.set(full_key, 0, ex=RATE_WINDOW_SECONDS + 5, nx=True).incr(full_key).execute()
        return count
    try:
        return backend.incr(key)
    except ValueError:
        return 1 if backend.add(key, 1, RATE_WINDOW_SECONDS + 5) else backend.incr(key)


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
    if _rate_limited(parsed):
        return _text(f"rate limited: at most {settings.CHECKS_PING_RATE_LIMIT_PER_MINUTE} pings per minute", 429)
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
    if not record_ping(parsed, data):
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
