"""Beat must run once: each beat process announces itself, and /api/health warns when two are live.

A second beat does no harm to evaluation or reports (their minute and hour claims let one run
through), but it doubles every other periodic task's messages and hides a misconfigured host.
"""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

log = logging.getLogger(__name__)
PREFIX = "beat:"
ANNOUNCE_SECONDS = 60
# This process's announcing threads with their stop events.
_announcers: list[tuple[threading.Event, threading.Thread]] = []


def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def announce(name: str) -> None:
    """Record that the beat `name` is alive now; forget beats silent for a day."""
    from monitoring_site.models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.update_or_create(name=PREFIX + name, defaults={"last_run": now})
    Heartbeat.objects.filter(name__startswith=PREFIX, last_run__lt=now - timedelta(days=1)).delete()


def live() -> list[str]:
    """The beats that announced themselves within the scheduler's stale time, oldest name first."""
    from monitoring_site.models import Heartbeat

    since = timezone.now() - settings.SCHEDULER_STALE_AFTER
    names = Heartbeat.objects.filter(name__startswith=PREFIX, last_run__gte=since).values_list("name", flat=True)
    return sorted(name[len(PREFIX) :] for name in names)


def start_announcing(stop: threading.Event | None = None, **_signal_kwargs) -> threading.Event:
    """Announce this process every minute from a daemon thread (connected to celery's beat_init)."""
    stop = stop or threading.Event()
    name = identity()

    def loop() -> None:
        while not stop.is_set():
            try:
                announce(name)
            except Exception:  # the database may be down for a while: keep trying
                log.exception("beat %s could not announce itself", name)
            finally:
                connections.close_all()  # a minute apart: never hold a connection in between
            stop.wait(ANNOUNCE_SECONDS)

    thread = threading.Thread(target=loop, name="beat-announce", daemon=True)
    thread.start()
    _announcers.append((stop, thread))
    return stop


def stop_announcing() -> None:
    """Stop every announcing thread this process started (tests that send beat_init use it)."""
    while _announcers:
        stop, thread = _announcers.pop()
        stop.set()
        thread.join(timeout=10)
