"""Per-request overhead of the request instrumentation: the same request through the full
middleware stack with and without RequestMetricsMiddleware, interleaved in blocks so load
changes hit both alike; plus the middleware alone around a no-op view. Target: < 0.5 ms."""

import logging
import statistics
import time

from bench._metrics_setup import environment, setup

BLOCKS = 80
PER_BLOCK = 100
MIDDLEWARE = "metrics.middleware.RequestMetricsMiddleware"


def _handlers():
    from django.conf import settings
    from django.test import override_settings
    from django.test.client import ClientHandler

    handlers = []
    for stack in (list(settings.MIDDLEWARE), [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]):
        with override_settings(MIDDLEWARE=stack):  # both built the same way
            handler = ClientHandler(enforce_csrf_checks=False)
            handler.load_middleware()
            handlers.append(handler)
    return handlers


def _per_request_us(handler, environ_factory, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        handler(environ_factory())
    return (time.perf_counter() - started) / count * 1e6


def _full_stack() -> tuple[float, float]:
    from django.test.client import RequestFactory

    factory = RequestFactory()
    with_it, without = _handlers()

    def environ():
        return factory.get("/healthz", {"live": ""}, secure=True).environ

    a, b = [], []
    for block in range(BLOCKS):
        order = [(with_it, a), (without, b)]
        for handler, results in order if block % 2 else reversed(order):  # neither always goes first
            results.append(_per_request_us(handler, environ, PER_BLOCK))
    # Median of the paired per-block differences: robust against load changing between blocks.
    return statistics.median(a), statistics.median(b), statistics.median(x - y for x, y in zip(a, b, strict=True))


def _middleware_alone() -> float:
    from django.http import HttpResponse
    from django.test.client import RequestFactory
    from django.urls import resolve

    from metrics.middleware import RequestMetricsMiddleware

    request = RequestFactory().get("/healthz")
    request.resolver_match = resolve("/healthz")
    response = HttpResponse()
    middleware = RequestMetricsMiddleware(lambda r: response)
    count = 200_000
    started = time.perf_counter()
    for _ in range(count):
        middleware(request)
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    setup()
    logging.disable(logging.INFO)  # the request log line would dominate both sides
    from metrics.recorder import recorder

    print(environment())
    alone = _middleware_alone()
    print(f"middleware alone (timer + route + in-memory aggregate): {alone:8.2f} us/request")
    with_it, without, difference = _full_stack()
    print(f"GET /healthz?live full stack, without the middleware:    {without:8.1f} us/request")
    print(f"GET /healthz?live full stack, with the middleware:       {with_it:8.1f} us/request")
    print(f"paired difference (median of {BLOCKS} interleaved blocks of {PER_BLOCK}): {difference:8.1f} us/request")
    verdict = "PASS" if alone < 500 and difference < 500 else "FAIL"
    print(f"target < 0.5 ms per request: {verdict}; series held in memory: {len(recorder.drain())}")
