"""Rows the dashboard tests insert, through the owning apps' models."""

import random
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone


def needs(app: str, model: str):
    """Skip a test until the app owning `model` has landed in this branch."""
    return pytest.mark.skipif(not _has(app, model), reason=f"waits for {app}.{model}")


def _has(app: str, model: str) -> bool:
    try:
        apps.get_model(app, model)
    except LookupError:
        return False
    return True


def insert_ai_calls(n: int = 40, minutes_ago: int = 30, seed: int = 7, at=None, **fields) -> list[dict]:
    """Insert AI calls spread over `minutes_ago` minutes before `at` (now); return them."""
    from ailogs.models import AiCall

    rng = random.Random(seed)
    now = at or timezone.now()
    rows = []
    for i in range(n):
        prompt, completion = rng.randint(10, 500), rng.randint(10, 300)
        row = {
            "timestamp": now - timedelta(minutes=minutes_ago * (i + 1) / (n + 1)),
            "function": rng.choice(["summarize", "classify", "chat"]),
            "provider": "openai",
            "model": rng.choice(["gpt-4o", "gpt-4o-mini"]),
            "status": "error" if i % 10 == 0 else "success",
            "duration_ms": round(rng.uniform(50, 2500), 1),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "cost_usd": round((prompt + completion) * 0.00001, 6),
            "cost_source": "computed",
            "session_id": f"s{i % 7}-{i % 2}",  # sessions stay within one tenant
            "user_id": f"u{i % 5}",
            "tenant": "acme" if i % 2 else "globex",
            "error_message": "rate limited" if i % 10 == 0 else "",
            **fields,
        }
        rows.append(row)
    AiCall.objects.bulk_create([AiCall(**row) for row in rows])
    return rows


def insert_requests(minutes: int = 30) -> list[dict]:
    """Per-minute request rows for two routes: 2xx every minute, a 5xx every fifth minute."""
    from metrics.models import RequestMinute
    from monitoring_site.lib.histogram import LogHistogram

    histogram = LogHistogram()
    for ms in (20.0, 40.0, 50.0, 60.0, 90.0):
        histogram.add(ms)

    start = timezone.now().replace(second=0, microsecond=0)
    rows = []
    for m in range(1, minutes + 1):
        for route, status_class, count in (
            ("api/v1/ai-logs/", "2xx", 10),
            ("admin/", "2xx", 4),
            ("admin/", "5xx", 1 if m % 5 == 0 else 0),
        ):
            if count:
                rows.append(
                    {
                        "minute": start - timedelta(minutes=m),
                        "route": route,
                        "method": "GET",
                        "status_class": status_class,
                        "count": count,
                        "duration_sum_ms": 50.0 * count,
                        "duration_min_ms": 20.0,
                        "duration_max_ms": 90.0,
                        "histogram": histogram.to_json(),
                    }
                )
    RequestMinute.objects.bulk_create([RequestMinute(**row) for row in rows])
    return rows


def insert_samples(minutes: int = 30) -> None:
    from metrics.models import MetricSample

    now = timezone.now()
    names = {
        "system_cpu_percent": 35.0,
        "system_memory_used_percent": 60.0,
        "system_disk_free_percent": 70.0,
        "db_roundtrip_ms": 1.5,
        "celery_queue_depth": 3.0,
    }
    MetricSample.objects.bulk_create(
        MetricSample(name=name, value=value + m % 5, timestamp=now - timedelta(minutes=m))
        for m in range(1, minutes + 1)
        for name, value in names.items()
    )


def insert_feedback() -> dict[str, int]:
    """Feedback in each category; return how many per category (spam included: it was received)."""
    from feedback.models import Feedback

    plan = {"bug": 3, "feature": 2, "question": 1}
    for category, n in plan.items():
        for i in range(n):
            Feedback.objects.create(
                message=f"{category} report {i}", category=category, priority="high" if i == 0 else "low"
            )
    return plan


def insert_alert_activity() -> dict[str, dict[str, int]]:
    """A firing alert, its transition and deliveries to two channels; return deliveries per channel."""
    from alerts.models import Alert, AlertRule, AlertTransition, NotificationChannel, NotificationDelivery

    now = timezone.now()
    rule = AlertRule.objects.create(name="AI error rate above 5 %", metric="ai_error_rate", critical_threshold=5)
    alert = Alert.objects.create(
        rule=rule, severity="critical", state="firing", value=9.5, threshold=5, fired_at=now - timedelta(minutes=12)
    )
    transition = AlertTransition.objects.create(
        alert=alert,
        from_state="ok",
        to_state="firing",
        reason="fired",
        severity="critical",
        value=9.5,
        at=now - timedelta(minutes=12),
    )
    plan = {"ops-slack": {"sent": 1}, "pager": {"failed": 1}}
    for name, statuses in plan.items():
        channel = NotificationChannel.objects.create(name=name, kind="webhook", target="https://hooks.example/x")
        for status in statuses:
            NotificationDelivery.objects.create(
                channel=channel, alert=alert, transition=transition, event="firing", status=status
            )
    return plan


def insert_everything() -> list[dict]:
    """Data for every tab that has its app; return the AI calls."""
    for app, name, insert in (
        ("metrics", "RequestMinute", insert_requests),
        ("metrics", "MetricSample", insert_samples),
        ("feedback", "Feedback", insert_feedback),
        ("alerts", "NotificationDelivery", insert_alert_activity),
    ):
        if _has(app, name):
            insert()
    return insert_ai_calls(n=200, minutes_ago=600)
