"""Usage analytics from stored data: active users, sessions, AI calls, exports per day.

AI calls are read from ailogs' AiCall table, looked up lazily so this app does not import
ailogs at load time (and reports empty figures rather than failing where ailogs is absent). Logins of this site's users are recorded as the
`user_logins` metric (metrics.signals), one sample per login tagged with the user id.
"""

from django.apps import apps
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from metrics.models import MetricSample
from monitoring_site.models import AuditEvent

LOGIN_METRIC = "user_logins"


def ai_calls_model():
    """ailogs' AiCall model, or None where that app is not installed."""
    try:
        return apps.get_model("ailogs", "AiCall")
    except LookupError:
        return None


def _ai_calls(since, until):
    model = ai_calls_model()
    return None if model is None else model.objects.filter(timestamp__gte=since, timestamp__lt=until)


def _per_day(queryset, field: str, **aggregates) -> dict:
    rows = queryset.annotate(day=TruncDate(field)).values("day").annotate(**aggregates).order_by("day")
    return {row.pop("day"): row for row in rows}


def _ai_distinct_per_day(since, until, kind: str) -> tuple[dict, bool]:
    """({day: distinct AI-call users or sessions}, approximate) from ailogs.queries (whole days
    from its HyperLogLog sketches: the raw COUNT(DISTINCT) over 30 days took 19 s), or ({}, False)
    where ailogs is absent."""
    if ai_calls_model() is None:
        return {}, False
    from ailogs.queries import distinct_per_day

    return distinct_per_day(since, until, kind)


def daily_active_users(since, until) -> list[dict]:
    """[{day, ai_users, site_users, approximate}]: distinct end users of AI calls (approximate on
    whole days of long windows, see ailogs.sketches) and distinct users signing in here (exact)."""
    ai, approximate = _ai_distinct_per_day(since, until, "users")
    logins = MetricSample.objects.filter(name=LOGIN_METRIC, timestamp__gte=since, timestamp__lt=until)
    site = _per_day(logins, "timestamp", site_users=Count("tags__user", distinct=True))
    return [
        {
            "day": day,
            "ai_users": ai.get(day, 0),
            "site_users": site.get(day, {}).get("site_users", 0),
            "approximate": approximate,
        }
        for day in sorted(set(ai) | set(site))
    ]


def sessions_per_day(since, until) -> list[dict]:
    """[{day, sessions, approximate}]: distinct AI-call sessions per UTC day."""
    if ai_calls_model() is None:
        return []
    rows, approximate = _ai_distinct_per_day(since, until, "sessions")
    return [{"day": day, "sessions": n, "approximate": approximate} for day, n in rows.items() if n]


def ai_calls_by_function(since, until) -> list[dict]:
    calls = _ai_calls(since, until)
    if calls is None:
        return []
    rows = calls.values("function").annotate(calls=Count("pk"), errors=Count("pk", filter=~Q(status="success")))
    return list(rows.order_by("-calls", "function"))


def exports_per_day(since, until) -> list[dict]:
    exports = AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT, created_at__gte=since, created_at__lt=until)
    return [{"day": day, **values} for day, values in _per_day(exports, "created_at", exports=Count("pk")).items()]
