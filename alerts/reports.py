"""Daily and weekly summaries by email and to chat channels (`send_report --period daily|weekly`)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from alerts import catalog, queries
from alerts.models import NotificationChannel
from monitoring_site.replica import replica_reads

log = logging.getLogger(__name__)
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def _section(title: str, build) -> list[str]:
    try:
        return [f"{title}", *[f"  {line}" for line in build()], ""]
    except catalog.SourceUnavailable as exc:
        return [title, f"  not available ({exc})", ""]


def _ai(since, until, length):
    ai = catalog._queries("ailogs")
    now, before = ai.window_stats(since, until), ai.window_stats(since - length, since)
    return [
        f"calls {now['count']:,} (previous period {before['count']:,}), errors {now['errors']:,}",
        f"error rate {now['error_rate'] or 0:.2f} % (previous {before['error_rate'] or 0:.2f} %)",
        f"tokens {now['total_tokens'] or 0:,}, cost ${now['cost_usd'] or 0:,.2f} (previous ${before['cost_usd'] or 0:,.2f})",
        f"latency p95 {(now['duration_ms'] or {}).get('p95') or 0:.0f} ms",
    ]


def _error_trend(since, until, length):
    ai = catalog._queries("ailogs")
    step = length / (7 if length >= timedelta(days=7) else 6)
    lines, start = [], since
    while start < until:
        stats = ai.window_stats(start, start + step)
        lines.append(f"{start:%a %H:%M}  {stats['error_rate'] or 0:6.2f} %  ({stats['count']:,} calls)")
        start += step
    return lines


def _queues(since, until, length):
    metrics = catalog._queries("metrics")
    depth, _ = metrics.aggregate("celery_queue_depth", since, until, "max")
    p95, _ = metrics.aggregate("celery_task_duration_seconds", since, until, "p95")
    http = metrics.http_summary(since, until)
    return [
        f"max queue depth {depth if depth is not None else 'n/a'}, task time p95 {p95 if p95 is not None else 'n/a'} s",
        f"HTTP requests {http['requests']:,}, 5xx rate {http['error_rate_5xx'] or 0:.2f} %, p95 {http['p95_ms'] or 0:.0f} ms",
    ]


def _alerts(since, until, length):
    counts = queries.fired_resolved(since, until)
    mttr = queries.mttr(since, until, severity=None)
    shown = f"{mttr.total_seconds() / 60:.1f} min" if mttr else "n/a"
    return [
        f"fired {counts['fired']}, resolved {counts['resolved']}, mean time to resolve {shown}",
        f"firing now: {queries.firing_counts()}",
    ]


def _top_errors(since, until, length):
    top = getattr(catalog._queries("ailogs"), "top_errors", None)
    if top is None:
        return ["not available (ailogs.queries.top_errors is missing)"]
    rows = top(since, until, limit=5)
    return [
        f"{r.get('count', 0):>6}  {r.get('function', '')}/{r.get('model', '')}: {str(r.get('error_message') or '')[:100]}"
        for r in rows
    ] or ["none"]


def _feedback(since, until, length):
    fb = catalog._queries("feedback")
    lines = [f"high-priority pending: {fb.high_priority_pending()}"]
    for label, name in (("received by category", "counts_by_category"), ("by status", "counts_by_status")):
        counts = getattr(fb, name, None)
        if counts is not None:
            shown = counts(since, until) if name == "counts_by_category" else counts()
            lines.append(f"{label}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
    return lines


@replica_reads()
def build(period: str, now=None) -> tuple[str, str]:
    """Return (subject, text) of the report for the period ending now (read from the replica)."""
    length = PERIODS[period]
    until = now or timezone.now()
    since = until - length
    lines = [f"{period.capitalize()} report {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC", ""]
    sections = [
        ("AI usage and cost", _ai),
        ("Error-rate trend", _error_trend),
        ("Queue and HTTP health", _queues),
        ("Alerts", _alerts),
        ("Top errors", _top_errors),
        ("Feedback", _feedback),
    ]
    for title, build_lines in sections:
        lines += _section(title, lambda b=build_lines: b(since, until, length))
    return f"[monitoring] {period} report {until:%Y-%m-%d}", "\n".join(lines)


def recipients() -> list[str]:
    from alerts.notify import admin_emails

    emails = list(settings.ALERTS_REPORT_EMAILS)
    for channel in NotificationChannel.objects.filter(kind="email", enabled=True):
        emails += [a.strip() for a in channel.target.split(",") if a.strip()]
    return sorted(set(emails)) or admin_emails()


class ReportNotSent(Exception):
    """Some destination failed (the others were still tried); `sent` and `failed` say which."""

    def __init__(self, sent: list[str], failed: list[str]):
        super().__init__(sent, failed)  # args stay (sent, failed), so the exception pickles (Celery)
        self.sent, self.failed = sent, failed

    def __str__(self) -> str:
        return f"not sent: {'; '.join(self.failed)} (sent: {'; '.join(self.sent) or 'nothing'})"


def send(period: str, now=None) -> str:
    """Send the report by email and to every chat channel; return a summary of where it went.

    Every destination is tried; if any fails, ReportNotSent names what was and was not sent. A
    chat channel the circuit breaker disabled counts as not sent (it would otherwise vanish silently).
    """
    subject, text = build(period, now)
    sent, failed = [], []
    email = _email(subject, text)
    (failed if email.startswith("email failed") else sent).append(email)
    chats = NotificationChannel.objects.filter(kind__in=["slack", "discord"], enabled=True).order_by("name")
    for channel in chats:
        if channel.disabled_at is not None:
            failed.append(
                f"{channel.name}: disabled by the circuit breaker after repeated failures "
                f"(clear disabled_at to re-enable)"
            )
            continue
        outcome = _chat(channel, text)
        if outcome.ok:
            sent.append(f"{channel.name}: sent")
        else:
            failed.append(f"{channel.name}: {outcome.error or 'failed'}")
    if failed:
        log.warning("report partly not sent: not sent: %s; sent: %s", "; ".join(failed), "; ".join(sent))
        raise ReportNotSent(sent, failed)
    return "; ".join(sent)


def _email(subject: str, text: str) -> str:
    to = recipients()
    if not to:
        return "no email recipients"
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    except Exception as exc:  # SMTP down must not keep the report from the chat channels
        return f"email failed: {type(exc).__name__}: {exc}"
    return f"emailed {len(to)} recipient(s)"


def _chat(channel, text: str):
    from alerts.transports import transport_for

    transport = transport_for(channel)
    return transport.post(transport.text_body(f"```\n{text}\n```"))
