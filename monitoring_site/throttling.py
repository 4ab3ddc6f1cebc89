"""Per-key rate limit: a fixed one-minute window counted in the cache, failing open.

Counting in Redis (when configured) makes the limit shared by every web process. When the cache
is unreachable the throttle lets requests through for a few seconds rather than failing ingest.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from monitoring_site.models import ApiKey

logger = logging.getLogger(__name__)
_cache_down_until = 0.0


class ApiKeyRateThrottle(BaseThrottle):
    window = 60

    def allow_request(self, request, view) -> bool:
        global _cache_down_until
        if not isinstance(request.auth, ApiKey):
            return True
        limit = request.auth.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE
        now = time.time()
        if now < _cache_down_until:
            return True
        bucket = int(now // self.window)
        key = f"rl:{request.auth.pk}:{bucket}"
        try:
            count = self._count(key)
        except Exception as exc:  # any cache failure: fail open, retry the cache in 5 s
            logger.warning("rate-limit cache unavailable, failing open: %s", exc)
            _cache_down_until = now + 5
            return True
        self.wait_seconds = self.window - (now % self.window)
        return count <= limit

    def _count(self, key: str) -> int:
        """Increment this window's counter: one round trip except for a window's first request."""
        try:
            return cache.incr(key)
        except ValueError:  # no counter yet in this window
            if cache.add(key, 1, self.window + 5):
                return 1
            return cache.incr(key)  # another process created it meanwhile

    def wait(self) -> float:
        return max(1.0, getattr(self, "wait_seconds", self.window))
