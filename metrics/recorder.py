"""In-process aggregation of this site's requests, flushed to RequestMinute off the request path.

Each web process keeps {(minute, route, method, status class): count, sum, min, max, histogram}
under a lock. A daemon thread per process writes and clears it every METRICS_REQUEST_FLUSH_SECONDS,
sooner when the number of series passes METRICS_REQUEST_MAX_KEYS, and once more at interpreter
exit (gunicorn's graceful worker exit). Rows from several processes for the same minute are
additive, so readers sum them. A kill -9 loses at most one interval of this process's counts.
"""

import atexit
import logging
import math
import os
import socket
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import close_old_connections, connections

from monitoring_site.lib.histogram import LogHistogram

logger = logging.getLogger(__name__)


def status_class(status: int) -> str:
    return "429" if status == 429 else f"{status // 100}xx"


class _Series:
    __slots__ = ("count", "total", "low", "high", "histogram")

    def __init__(self) -> None:
        self.count, self.total, self.low, self.high = 0, 0.0, math.inf, -math.inf
        self.histogram = LogHistogram()

    def add(self, duration_ms: float) -> None:
        self.count += 1
        self.total += duration_ms
        self.low = min(self.low, duration_ms)
        self.high = max(self.high, duration_ms)
        self.histogram.add(duration_ms)

    def merge(self, other: "_Series") -> None:
        self.count += other.count
        self.total += other.total
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.histogram.merge(other.histogram)


class RequestRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._reset()

    def _reset(self) -> None:
        """Fresh state; also run in a forked child, which must not flush its parent's counts."""
        self.pid = os.getpid()
        self.series: dict[tuple, _Series] = {}
        self.thread: threading.Thread | None = None
        self.process = f"{socket.gethostname()[:40]}:{self.pid}"

    def record(self, route: str, method: str, status: int, duration_ms: float, now: float | None = None) -> None:
        if self.pid != os.getpid():
            self._reset()
        key = (int((now or time.time()) // 60), route, method, status_class(status))
        with self._lock:
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = _Series()
            series.add(duration_ms)
            size = len(self.series)
        if self.thread is None:
            self._start()
        elif size >= settings.METRICS_REQUEST_MAX_KEYS:
            self._wake.set()

    def drain(self) -> dict[tuple, _Series]:
        with self._lock:
            drained, self.series = self.series, {}
        return drained

    def restore(self, drained: dict[tuple, _Series]) -> None:
        """Put back what a failed flush drained, so a database outage loses nothing (bounded)."""
        with self._lock:
            for key, series in drained.items():
                if key in self.series:
                    self.series[key].merge(series)
                elif len(self.series) < settings.METRICS_REQUEST_MAX_KEYS * 5:
                    self.series[key] = series

    def flush(self) -> int:
        """Write everything aggregated so far as RequestMinute rows; return how many."""
        from metrics.models import RequestMinute

        drained = self.drain()
        if not drained:
            return 0
        rows = [self._row(key, series) for key, series in drained.items()]
        try:
            RequestMinute.objects.bulk_create(rows, batch_size=500)
        except Exception:
            self.restore(drained)
            raise
        return len(rows)

    def _row(self, key: tuple, series: _Series):
        from metrics.models import RequestMinute

        minute, route, method, klass = key
        return RequestMinute(
            minute=datetime.fromtimestamp(minute * 60, tz=UTC),
            route=route[:200],
            method=method,
            status_class=klass,
            count=series.count,
            duration_sum_ms=series.total,
            duration_min_ms=series.low,
            duration_max_ms=series.high,
            histogram=series.histogram.to_json(),
            process=self.process,
        )

    def _start(self) -> None:
        interval = settings.METRICS_REQUEST_FLUSH_SECONDS
        with self._lock:
            if self.thread is not None or interval <= 0:
                self.thread = self.thread or False  # no thread wanted: do not check again
                return
            self.thread = threading.Thread(
                target=self._run, args=(interval,), name="request-metrics-flush", daemon=True
            )
        self.thread.start()
        atexit.register(self._flush_logged)

    def _run(self, interval: int) -> None:
        while True:
            self._wake.wait(timeout=interval)
            self._wake.clear()
            self._flush_logged()
            try:  # one connection a minute is cheap; an idle one held by this thread is not
                connections.close_all()
            except Exception as exc:  # never let the thread die: the next flush reconnects
                logger.warning("request metrics: closing the connection failed: %s", exc)

    def _flush_logged(self) -> None:
        try:
            close_old_connections()
            self.flush()
        except Exception as exc:  # the database may be down: counts were restored, retry next time
            logger.warning("request metrics flush failed: %s", exc)


recorder = RequestRecorder()
