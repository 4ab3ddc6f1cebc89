"""A lease: a named lock held in a row for a bounded time, safe under PgBouncer transaction pooling.

A PostgreSQL session-level advisory lock is tied to one server connection; through PgBouncer in
transaction mode the unlock can land on another connection and the lock then leaks for good. A
lease is a conditional UPDATE of a Heartbeat row (`last_run` holds the expiry): each statement
stands alone, a crashed holder frees it when it expires, and SQLite behaves the same.
"""

from datetime import timedelta

from django.db import IntegrityError
from django.utils import timezone

from monitoring_site.models import Heartbeat


class lease:
    """`with lease("name", seconds) as held:` runs the block's work only where `held` is True."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name = f"lease:{name}"
        self.seconds = seconds
        self.until = None

    def __enter__(self) -> bool:
        now = timezone.now()
        until = now + timedelta(seconds=self.seconds)
        taken = Heartbeat.objects.filter(name=self.name, last_run__lte=now).update(last_run=until)
        if not taken:
            try:
                _, taken = Heartbeat.objects.get_or_create(name=self.name, defaults={"last_run": until})
            except IntegrityError:  # another process created it first: it holds the lease
                taken = False
        self.until = until if taken else None
        return bool(taken)

    def __exit__(self, *exc) -> None:
        if self.until is not None:
            # Free only our own lease: if it expired and another run took it, leave theirs alone.
            Heartbeat.objects.filter(name=self.name, last_run=self.until).update(last_run=timezone.now())
