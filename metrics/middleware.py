import time

from django.conf import settings

from metrics.recorder import recorder

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request) -> str:
    """The URL pattern that served the request (bounded cardinality), never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "/" + match.route
    if request.path.startswith(settings.STATIC_URL):
        return "<static>"
    return "<unmatched>"


class RequestMetricsMiddleware:
    """Time every request and hand it to the in-memory recorder: no I/O on the request path."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        method = request.method if request.method in METHODS else "OTHER"
        recorder.record(route_of(request), method, response.status_code, duration_ms)
        return response
