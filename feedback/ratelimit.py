"""Fixed-window counters in the cache (Redis when configured, so all web processes share them).

Each request counts against its client's limits (per site and address) and against the site's
total, so a flood from many addresses is capped too. When the cache is down the limits fail
open for a few seconds: losing them briefly is better than refusing every user's feedback.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
_cache_down_until = 0.0


def client_limits() -> list[tuple[int, int]]:
    return [(60, settings.FEEDBACK_RATE_PER_MINUTE), (86400, settings.FEEDBACK_RATE_PER_DAY)]


def site_limits() -> list[tuple[int, int]]:
    return [(60, settings.FEEDBACK_SITE_RATE_PER_MINUTE)]


def _count(key: str, window: int) -> int:
    cache.add(key, 0, window + 5)
    return cache.incr(key)


def _over(scope: str, limits: list[tuple[int, int]], now: float) -> int | None:
    for window, limit in limits:
        if _count(f"fb-rl:{scope}:{window}:{int(now // window)}", window) > limit:
            return int(window - now % window) + 1
    return None


def retry_after(scopes: list[tuple[str, list[tuple[int, int]]]]) -> int | None:
    """Count one request in every (scope, limits); return seconds to wait when over a limit, else None."""
    global _cache_down_until
    now = time.time()
    if now < _cache_down_until:
        return None
    try:
        for scope, limits in scopes:
            wait = _over(scope, limits, now)
            if wait is not None:
                return wait
    except Exception as exc:  # any cache failure: fail open, try the cache again in 5 s
        logger.warning("feedback rate-limit cache unavailable, failing open: %s", exc)
        _cache_down_until = now + 5
    return None


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry our trusted proxies added to X-Forwarded-For."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT or 0
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
