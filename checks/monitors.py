"""Run an HTTP uptime monitor once: call it through the SSRF-guarded client, store the result, flip.

A monitor goes down only after `failures_before_down` failures in a row (default 2: one lost packet
is not an outage) and up again on the first success. The TLS certificate's days left are kept on
each result; a certificate inside `tls_warn_days` is reported in the reason but is not "down".
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checks import recording
from checks.models import Monitor, MonitorResult, Status
from checks.services import create_flip
from monitoring_site.lib import outbound


def probe(monitor: Monitor, now: datetime) -> MonitorResult:
    """Call the URL once and judge the answer (unsaved result)."""
    result = MonitorResult(monitor=monitor, checked_at=now, up=False)
    try:
        response = outbound.request(
            monitor.method, monitor.url, deadline=monitor.timeout_seconds, user_agent="monitoring-site-uptime"
        )
    except outbound.BlockedURL as exc:
        result.reason = f"blocked by the SSRF guard: {exc}"
        return result
    except TimeoutError:
        result.reason = f"timed out after {monitor.timeout_seconds:g} s"
        return result
    except OSError as exc:
        result.reason = f"connection failed: {exc}"[:300]
        return result
    result.status_code, result.response_ms = response.status, round(response.elapsed_ms, 1)
    if response.tls_expires_at:
        result.tls_days_left = (response.tls_expires_at - now).days
    result.up, result.reason = _judge(monitor, response, result.tls_days_left)
    return result


def _judge(monitor: Monitor, response: outbound.Response, tls_days_left: int | None) -> tuple[bool, str]:
    if response.status != monitor.expected_status:
        return False, f"status {response.status}, expected {monitor.expected_status}"
    if monitor.body_contains and monitor.body_contains.encode() not in response.body:
        return False, f"the body does not contain {monitor.body_contains!r}"
    if tls_days_left is not None and tls_days_left <= monitor.tls_warn_days:
        return True, f"OK; the TLS certificate expires in {tls_days_left} days"
    return True, "OK"


def run(monitor_id: int, now: datetime | None = None) -> MonitorResult | None:
    """Probe one monitor, store the result and any flip; None when it is gone or paused."""
    now = now or timezone.now()
    monitor = Monitor.objects.filter(pk=monitor_id).exclude(status=Status.PAUSED).first()
    if monitor is None:
        return None
    result = probe(monitor, now)  # outside the transaction: no row lock held across the network
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update().get(pk=monitor_id)
        result.monitor = monitor
        result.save()
        _apply(monitor, result, now)
    recording.record(recording.monitor_samples(result), now)
    return result


def _apply(monitor: Monitor, result: MonitorResult, now: datetime) -> None:
    old = monitor.status
    monitor.consecutive_failures = 0 if result.up else monitor.consecutive_failures + 1
    if result.up:
        monitor.status = Status.UP
    elif monitor.consecutive_failures >= monitor.failures_before_down:
        monitor.status = Status.DOWN
    monitor.last_checked_at, monitor.last_reason = now, result.reason
    if result.tls_days_left is not None:
        monitor.tls_expires_at = now + timedelta(days=result.tls_days_left)
    monitor.save(update_fields=["status", "consecutive_failures", "last_checked_at", "last_reason", "tls_expires_at"])
    if monitor.status != old:
        why = result.reason
        if monitor.status == Status.DOWN and monitor.failures_before_down > 1:
            why = f"{monitor.consecutive_failures} failures in a row; last: {result.reason}"
        create_flip(monitor, old, monitor.status, why, now)


def claim_due(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of the monitors due now, each moved to its next run time.

    The move is a conditional update on the old next_run_at, so two dispatchers never both run one.
    """
    now = now or timezone.now()
    due = (
        Monitor.objects.exclude(status=Status.PAUSED)
        .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
        .values_list("pk", "interval_seconds", "next_run_at")[:limit]
    )
    claimed = []
    for pk, interval, previous in due:
        nxt = now + timedelta(seconds=interval)
        if (
            Monitor.objects.filter(pk=pk, next_run_at=previous).update(next_run_at=nxt)
            if previous
            else (Monitor.objects.filter(pk=pk, next_run_at__isnull=True).update(next_run_at=nxt))
        ):
            claimed.append(pk)
    return claimed
