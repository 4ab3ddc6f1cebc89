"""Batched deletes that never hold long locks: used by every retention purge on plain tables."""

import time

from django.db import transaction

BATCH_SIZE = 5_000


def purge_in_batches(queryset, batch_size: int = BATCH_SIZE, pause: float = 0.0) -> int:
    """Delete the queryset's rows in short transactions of at most batch_size rows; return the count.

    Each batch selects ids by primary key order (keyset), so the plan stays an index scan
    however large the table is (see docs/performance.md: LIMIT 50k flipped to a seq scan).
    """
    model = queryset.model
    total = 0
    last_pk = None
    while True:
        batch = queryset.order_by("pk")
        if last_pk is not None:
            batch = batch.filter(pk__gt=last_pk)
        ids = list(batch.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        with transaction.atomic():
            model._base_manager.filter(pk__in=ids).delete()
        total += len(ids)
        last_pk = ids[-1]
        if pause:
            time.sleep(pause)


def purge(dry_run: bool) -> dict[str, int]:
    """Retention for the platform's own tables: audit events and health samples."""
    from django.conf import settings
    from django.utils import timezone

    from monitoring_site.models import AuditEvent, HealthSample

    cutoff = timezone.now() - timezone.timedelta(days=settings.RETENTION_AUDIT_EVENTS_DAYS)
    querysets = {
        "audit events": AuditEvent.objects.filter(created_at__lt=cutoff),
        "health samples": HealthSample.objects.filter(checked_at__lt=cutoff),
    }
    if dry_run:
        return {name: qs.count() for name, qs in querysets.items()}
    return {name: purge_in_batches(qs) for name, qs in querysets.items()}
