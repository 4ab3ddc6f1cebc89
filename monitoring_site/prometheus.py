"""/metrics: django-prometheus's process metrics plus the project's own, read from the database.

Apps add collectors with `register(collector)` in their AppConfig.ready(). A collector has a
`collect()` method yielding prometheus_client metric families; reading counts from the database
at scrape time keeps them right however many web processes there are.
"""

import hmac
import logging
import os

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

logger = logging.getLogger(__name__)
app_registry = CollectorRegistry(auto_describe=False)


class _Guarded:
    """Skip a collector that fails (say, the database is down) so /metrics still answers with
    everything else, process and request metrics included."""

    def __init__(self, collector) -> None:
        self.collector = collector

    def collect(self):
        try:
            families = list(self.collector.collect())
        except Exception:
            logger.warning("metrics collector %s failed; skipped", type(self.collector).__name__, exc_info=True)
            return []
        return families


_registered: set[type] = set()


def register(collector) -> "_Guarded | None":
    """Add a collector to /metrics; return its guarded wrapper (None if its type is already in)."""
    if type(collector) in _registered:  # ready() ran twice (tests)
        return None
    _registered.add(type(collector))
    guarded = _Guarded(collector)
    app_registry.register(guarded)
    return guarded


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            response = HttpResponse("metrics token required\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    body = generate_latest(_process_registry()) + generate_latest(app_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
