"""Read functions over spans, and traces and sessions as pages and the dashboard show them.

Reads only: a read replica can serve every function here.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min

from ailogs import queries as ailogs
from feedback import queries as feedback
from traces.models import Span, SpanStatus

SPAN_LIMIT = 5_000  # a trace page never loads more spans than this
CALL_MARGIN = timedelta(minutes=10)


@dataclass
class Item:
    """One row of the waterfall: a span (with its AI call if it is one), or an AI call whose
    span was never received (logged through the JSON API with this trace id)."""

    span: Span | None
    call: dict | None
    depth: int = 0
    offset_ms: float = 0.0
    children: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.span.name if self.span else self.call["function"]

    @property
    def duration_ms(self) -> float:
        return self.span.duration_ms if self.span else self.call["duration_ms"]

    @property
    def start(self) -> datetime:
        if self.span:
            return self.span.start_time
        return self.call["timestamp"] - timedelta(milliseconds=self.call["duration_ms"])

    @property
    def is_error(self) -> bool:
        return bool(self.span and self.span.status_code == SpanStatus.ERROR) or bool(
            self.call and self.call["status"] != "success"
        )


@dataclass
class Trace:
    trace_id: str
    items: list[Item]
    start: datetime | None
    duration_ms: float
    cost_usd: float
    total_tokens: int
    errors: int
    session_id: str
    truncated: bool

    @property
    def spans(self) -> list[Span]:
        return [item.span for item in self.items if item.span]

    @property
    def calls(self) -> list[dict]:
        return [item.call for item in self.items if item.call]


def trace(trace_id: str) -> Trace | None:
    """The trace's spans and AI calls as a waterfall (parents before children), or None."""
    spans = list(Span.objects.filter(trace_id=trace_id.lower()).order_by("start_time")[: SPAN_LIMIT + 1])
    truncated = len(spans) > SPAN_LIMIT
    spans = spans[:SPAN_LIMIT]
    calls = ailogs.calls_in_trace(trace_id, *_around(spans))
    if not spans and not calls:
        return None
    by_span = {_meta(call).get("span_id"): call for call in calls}
    items = [Item(span, by_span.get(span.span_id)) for span in spans]
    matched = {id(item.call) for item in items if item.call}
    items += [Item(None, call) for call in calls if id(call) not in matched]
    ordered = _tree(items)
    start = min((item.start for item in ordered), default=None)
    end = max((item.start + timedelta(milliseconds=item.duration_ms) for item in ordered), default=start)
    for item in ordered:
        item.offset_ms = (item.start - start).total_seconds() * 1000
    return Trace(
        trace_id=trace_id,
        items=ordered,
        start=start,
        duration_ms=(end - start).total_seconds() * 1000 if start else 0.0,
        cost_usd=sum(call["cost_usd"] or 0.0 for call in calls),
        total_tokens=sum(call["total_tokens"] or 0 for call in calls),
        errors=sum(item.is_error for item in ordered),
        session_id=next((c["session_id"] for c in calls if c["session_id"]), "")
        or next((s.session_id for s in spans if s.session_id), ""),
        truncated=truncated,
    )


def _around(spans: list[Span]) -> tuple[datetime | None, datetime | None]:
    """The minutes the trace ran, with a margin for calls logged by JSON with the same trace id;
    a trace known only from AI calls (no span) has no bounds."""
    if not spans:
        return None, None
    return (
        min(s.start_time for s in spans) - CALL_MARGIN,
        max(s.end_time for s in spans) + CALL_MARGIN,
    )


def _meta(call: dict) -> dict:
    return call["metadata"] if isinstance(call["metadata"], dict) else {}


def _tree(items: list[Item]) -> list[Item]:
    """Depth-first order, children by start time; spans whose parent is missing are roots."""
    by_id = {item.span.span_id: item for item in items if item.span}
    roots = []
    for item in items:
        parent_id = item.span.parent_span_id if item.span else _meta(item.call).get("parent_span_id")
        parent = by_id.get(parent_id) if parent_id else None
        (parent.children if parent is not None and parent is not item else roots).append(item)
    ordered: list[Item] = []
    stack = [(root, 0) for root in sorted(roots, key=lambda i: i.start, reverse=True)]
    while stack:
        item, depth = stack.pop()
        item.depth = depth
        ordered.append(item)
        stack.extend((child, depth + 1) for child in sorted(item.children, key=lambda i: i.start, reverse=True))
    return ordered


def sessions(since: datetime, until: datetime, filters: dict | None = None, limit: int = 100) -> list[dict]:
    """Sessions over the window, newest activity first, with their feedback counts: those of AI
    calls, and those whose traces made none (a run of tools only)."""
    rows = ailogs.sessions(since, until, filters, limit=limit, with_trace_ids=True)
    rows = _merge_span_sessions(rows, since, until, filters, limit)
    _add_feedback(rows)
    return rows


def _merge_span_sessions(rows: list[dict], since, until, filters: dict | None, limit: int) -> list[dict]:
    """Add the sessions of root spans in the window to `rows` (AI-call sessions, newest first);
    a session's traces are then those with a call or a root span in the window (the AI rows
    carry their calls' trace ids, which are dropped here)."""
    roots = Span.objects.filter(start_time__gte=since, start_time__lt=until, parent_span_id="").exclude(session_id="")
    roots = roots.filter(**{name: value for name, value in (filters or {}).items() if value})
    found = roots.values("session_id").annotate(
        first_seen=Min("start_time"), last_seen=Max("end_time"), tenant=Max("tenant"), user_id=Max("user_id")
    )
    by_session = {row["session_id"]: row for row in rows}
    for span_row in found.order_by("-last_seen", "session_id")[:limit]:
        row = by_session.get(span_row["session_id"])
        if row is None:
            by_session[span_row["session_id"]] = {
                **span_row,
                "calls": 0,
                "cost_usd": 0.0,
                "total_tokens": 0,
                "errors": 0,
            }
        else:
            row["first_seen"] = min(row["first_seen"], span_row["first_seen"])
            row["last_seen"] = max(row["last_seen"], span_row["last_seen"])
    ids = list(by_session)
    with_calls = {(row["session_id"], trace_id) for row in rows for trace_id in row.pop("trace_ids")}
    span_traces = set(roots.filter(session_id__in=ids).values_list("session_id", "trace_id").distinct())
    for session_id, _ in span_traces - with_calls:
        by_session[session_id]["traces"] = by_session[session_id].get("traces", 0) + 1
    return sorted(by_session.values(), key=lambda row: (row["last_seen"], row["session_id"]), reverse=True)[:limit]


def session(session_id: str) -> list[dict]:
    """The traces of one session in the order they started: root span name, AI calls, cost,
    errors (failed AI calls plus failed non-AI spans such as tools) and feedback; a trace of
    the session without AI calls too."""
    rows = ailogs.session_traces(session_id)
    by_trace = {row["trace_id"]: row for row in rows}
    for trace_id, start, end in Span.objects.filter(session_id=session_id, parent_span_id="").values_list(
        "trace_id", "start_time", "end_time"
    ):
        row = by_trace.get(trace_id)
        if row is None:
            rows.append(
                {"trace_id": trace_id, "calls": 0, "first_seen": start, "last_seen": end, "cost_usd": 0.0}
                | {"total_tokens": 0, "errors": 0, "function": ""}
            )
        else:  # a trace begins with its root span, before its first call ends
            row["first_seen"], row["last_seen"] = min(row["first_seen"], start), max(row["last_seen"], end)
    rows.sort(key=lambda row: row["first_seen"])
    trace_ids = [row["trace_id"] for row in rows if row["trace_id"]]
    counts = feedback.counts_by_trace(trace_ids)
    span_errors = _span_errors(trace_ids)
    roots = dict(Span.objects.filter(trace_id__in=trace_ids, parent_span_id="").values_list("trace_id", "name"))
    for row in rows:
        row["feedback"] = counts.get(row["trace_id"], 0)
        row["errors"] += span_errors.get(row["trace_id"], 0)
        row["root"] = roots.get(row["trace_id"], "")
    return rows


def _span_errors(trace_ids: list[str]) -> dict[str, int]:
    """Failed spans that are not AI calls (those are counted as calls already), per trace."""
    failed = Span.objects.filter(trace_id__in=trace_ids, status_code=SpanStatus.ERROR, is_genai=False)
    return dict(failed.values("trace_id").annotate(n=Count("id")).values_list("trace_id", "n"))


def _add_feedback(rows: list[dict]) -> None:
    """Three queries for the whole list: the sessions' trace ids, then feedback and failed
    non-AI spans per trace id."""
    ids = [row["session_id"] for row in rows]
    roots = Span.objects.filter(session_id__in=ids, parent_span_id="")
    pairs = ailogs.session_trace_ids(ids) | set(roots.values_list("session_id", "trace_id").distinct())
    trace_ids = list({trace_id for _, trace_id in pairs})
    counts, span_errors = feedback.counts_by_trace(trace_ids), _span_errors(trace_ids)
    totals: dict[str, list[int]] = {}
    for session_id, trace_id in pairs:
        total = totals.setdefault(session_id, [0, 0])
        total[0] += counts.get(trace_id, 0)
        total[1] += span_errors.get(trace_id, 0)
    for row in rows:
        found, errors = totals.get(row["session_id"], (0, 0))
        row["feedback"] = found
        row["errors"] += errors


def slowest_traces(since: datetime, until: datetime, limit: int = 10, tenant: str = "") -> list[dict]:
    """Root spans that started in the window, longest first (the dashboard's "slowest traces")."""
    roots = Span.objects.filter(start_time__gte=since, start_time__lt=until, parent_span_id="")
    if tenant:
        roots = roots.filter(tenant=tenant)
    return list(
        roots.order_by("-duration_ms").values(
            "trace_id", "name", "service_name", "start_time", "duration_ms", "status_code", "session_id"
        )[:limit]
    )


def most_expensive_sessions(since: datetime, until: datetime, limit: int = 10, tenant: str = "") -> list[dict]:
    return ailogs.sessions(since, until, {"tenant": tenant}, order="-cost_usd", limit=limit)


def feedback_for_trace(trace_id: str) -> list:
    return feedback.for_trace(trace_id)
