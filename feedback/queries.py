"""Read functions other apps (alerts, dashboard) call; spam is left out of every figure."""

from datetime import datetime

from django.db.models import Count
from django.db.models.functions import TruncDay, TruncHour

from feedback.models import Feedback


def high_priority_pending() -> int:
    """Pending, high-priority, not spam (catalog key feedback_high_priority_pending)."""
    return Feedback.objects.needing_attention().count()


def counts_by_category(since: datetime, until: datetime) -> dict[str, int]:
    """Feedback received in [since, until) per category, every category present."""
    rows = _window(since, until).values_list("category").annotate(n=Count("id"))
    return {category: 0 for category in Feedback.Category.values} | dict(rows)


def counts_by_status(since: datetime | None = None, until: datetime | None = None) -> dict[str, int]:
    """Non-spam feedback per status (all time by default): the size of the triage queue."""
    qs = _window(since, until) if since else Feedback.objects.not_spam().order_by()
    rows = qs.values_list("status").annotate(n=Count("id"))
    return {status: 0 for status in Feedback.Status.values if status != Feedback.Status.SPAM} | dict(rows)


def submissions_over_time(since: datetime, until: datetime, bucket: str = "day") -> list[dict]:
    """Rows of {"bucket": datetime, "category": str, "count": int}, oldest first; bucket is hour or day."""
    trunc = {"hour": TruncHour, "day": TruncDay}[bucket]
    rows = (
        _window(since, until)
        .annotate(bucket=trunc("created_at"))
        .values("bucket", "category")
        .annotate(count=Count("id"))
        .order_by("bucket", "category")
    )
    return list(rows)


def spam_count(since: datetime, until: datetime) -> int:
    return Feedback.objects.filter(status=Feedback.Status.SPAM, created_at__gte=since, created_at__lt=until).count()


def _window(since: datetime, until: datetime | None):
    qs = Feedback.objects.not_spam().filter(created_at__gte=since).order_by()
    return qs.filter(created_at__lt=until) if until else qs


def counts_by_trace(trace_ids: list[str]) -> dict[str, int]:
    """Feedback (spam excluded) per trace id, for the traces and sessions pages."""
    rows = Feedback.objects.not_spam().filter(trace_id__in=trace_ids).values("trace_id").annotate(n=Count("id"))
    return {row["trace_id"]: row["n"] for row in rows}


def for_trace(trace_id: str) -> list[Feedback]:
    return list(Feedback.objects.not_spam().filter(trace_id=trace_id).order_by("created_at")[:50])
