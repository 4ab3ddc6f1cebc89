"""Admin pages: a trace as a waterfall, the sessions list and one session's traces in order.

Mounted by SpanAdmin.get_urls(), so the span admin's own permission check (Admin role only)
guards every page: a Moderator gets 403 from the server, not a hidden link.
"""

import json
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from monitoring_site.replica import replica_reads
from traces import queries

RANGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
MIN_BAR_PERCENT = 0.3  # a 0 ms span still shows as a sliver


def _authorize(model_admin, request) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _context(model_admin, request, title: str) -> dict:
    return {**model_admin.admin_site.each_context(request), "title": title, "opts": model_admin.model._meta}


def trace_url(trace_id: str) -> str:
    """The trace page's URL, or "" for a trace id that cannot be a URL segment (a "/" in a
    trace id logged through the JSON API)."""
    try:
        return reverse("admin:traces_trace", kwargs={"trace_id": trace_id})
    except NoReverseMatch:
        return ""


def session_url(session_id: str) -> str:
    return reverse("admin:traces_session", kwargs={"session_id": session_id})


@replica_reads()
def trace_page(model_admin, request, trace_id: str):
    _authorize(model_admin, request)
    found = queries.trace(trace_id)
    if found is None:
        raise Http404("No span or AI call has this trace id.")
    total = found.duration_ms or 1.0
    context = {
        **_context(model_admin, request, f"Trace {trace_id}"),
        "trace": found,
        "rows": [_row(item, total) for item in found.items],
        "ticks": [{"left": p, "label": f"{total * p / 100:,.0f} ms"} for p in (0, 25, 50, 75, 100)],
        "resources": _resources(found),
        "session_link": session_url(found.session_id) if found.session_id else "",
        "feedback": queries.feedback_for_trace(trace_id),
    }
    return TemplateResponse(request, "traces/trace.html", context)


def _row(item: queries.Item, total: float) -> dict:
    """One waterfall row with every number already formatted: a 500-span trace renders in a
    fraction of the time that template filters per cell would take (bench/otel_ingest.py)."""
    span, call = item.span, item.call
    left = min(100.0, max(0.0, item.offset_ms / total * 100))
    width = max(MIN_BAR_PERCENT, min(100.0 - left, item.duration_ms / total * 100))
    figures = f"{item.duration_ms:,.1f} ms"
    if call:
        figures += f" · {call['total_tokens']} tok"
        if call["cost_usd"] is not None:
            figures += f" · ${call['cost_usd']:.6f}"
    where = f"starts at +{item.offset_ms:,.1f} ms"
    if call and call["model"]:
        where += f" · model {call['model']}"
    if span is None:
        where += " · AI call logged without a span"
    return {
        "name": item.name,
        "depth": item.depth,
        "indent": min(item.depth, 20) * 14,
        "bar": f"left: {left:.3f}%; width: {width:.3f}%",
        "figures": figures,
        "where": where,
        "is_error": item.is_error,
        "is_ai": call is not None,
        "service": span.service_name if span else "",
        "span_id": span.span_id if span else "",
        "parent_span_id": span.parent_span_id if span else "",
        "status_message": (span.status_message if span else "") or (call["error_message"] if call else ""),
        "details": _details(span) if span else "",
    }


def _details(span) -> str:
    """Attributes one per line, `key = value` with the value as JSON (the C encoder: no indent)."""
    lines = [f"{key} = {json.dumps(value, default=str)}" for key, value in sorted(span.attributes.items())]
    for event in span.events:
        lines.append(f"exception at {event['time']}: {json.dumps(event['attributes'], sort_keys=True, default=str)}")
    return "\n".join(lines)


def _resources(found: queries.Trace) -> list[str]:
    """Each service's resource attributes once (every span of a service repeats them)."""
    seen: dict[str, str] = {}
    for span in found.spans:
        if span.service_name not in seen:
            pairs = sorted(span.resource_attributes.items())
            seen[span.service_name] = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in pairs)
    return [text for text in seen.values() if text]


@replica_reads()
def sessions_page(model_admin, request):
    _authorize(model_admin, request)
    key = request.GET.get("range", "24h")
    if key not in RANGES:
        key = "24h"
    filters = {"tenant": request.GET.get("tenant", "").strip(), "user_id": request.GET.get("user", "").strip()}
    now = timezone.now()
    rows = queries.sessions(now - RANGES[key], now, filters)
    for row in rows:
        row["url"] = session_url(row["session_id"])
    context = {
        **_context(model_admin, request, "Sessions"),
        "rows": rows,
        "ranges": list(RANGES),
        "range": key,
        "filters": filters,
    }
    return TemplateResponse(request, "traces/sessions.html", context)


@replica_reads()
def session_page(model_admin, request, session_id: str):
    _authorize(model_admin, request)
    rows = queries.session(session_id)
    if not rows:
        raise Http404("No AI call or trace has this session id.")
    for row in rows:
        row["url"] = trace_url(row["trace_id"]) if row["trace_id"] else ""
        row["duration_ms"] = (row["last_seen"] - row["first_seen"]).total_seconds() * 1000
    context = {
        **_context(model_admin, request, f"Session {session_id}"),
        "session_id": session_id,
        "rows": rows,
        "cost_usd": sum(row["cost_usd"] or 0.0 for row in rows),
        "errors": sum(row["errors"] for row in rows),
        "feedback": sum(row["feedback"] for row in rows),
        "sessions_url": reverse("admin:traces_sessions"),
    }
    return TemplateResponse(request, "traces/session.html", context)
