from datetime import timedelta

from metrics import queries, usage
from monitoring_site.models import AuditEvent


def test_logins_count_as_daily_active_site_users(alice, mo, client, now):
    for user in (alice, alice, mo):
        client.force_login(user)
        client.logout()
    days = queries.daily_active_users(now - timedelta(days=1), now + timedelta(minutes=1))
    assert days == [{"day": now.date(), "ai_users": 0, "site_users": 2, "approximate": False}]


def test_exports_are_counted_per_day(db, now):
    AuditEvent.objects.create(kind=AuditEvent.Kind.EXPORT, created_at=now - timedelta(days=1))
    AuditEvent.objects.create(kind=AuditEvent.Kind.EXPORT, created_at=now)
    AuditEvent.objects.create(kind=AuditEvent.Kind.EXPORT, created_at=now)
    AuditEvent.objects.create(kind=AuditEvent.Kind.LOGIN_FAILED, created_at=now)
    rows = queries.exports_per_day(now - timedelta(days=2), now + timedelta(seconds=1))
    assert [r["exports"] for r in rows] == [1, 2]


def test_ai_figures_are_empty_while_ailogs_has_no_call_model(db, now, monkeypatch):
    monkeypatch.setattr(usage, "ai_calls_model", lambda: None)
    assert queries.sessions_per_day(now - timedelta(days=1), now) == []
    assert queries.ai_calls_by_function(now - timedelta(days=1), now) == []


def test_ai_figures_come_from_the_ai_call_log(db, now):
    from ailogs.models import AiCall

    calls = [
        ("summarise", "success", "u1", "s1", now),
        ("summarise", "error", "u2", "s1", now),
        ("translate", "success", "u1", "s2", now),
        ("translate", "success", "u3", "s3", now - timedelta(days=1)),
        ("translate", "success", "", "", now),
    ]
    AiCall.objects.bulk_create(
        AiCall(function=f, status=st, user_id=u, session_id=s, timestamp=t, duration_ms=10) for f, st, u, s, t in calls
    )
    window = (now - timedelta(days=2), now + timedelta(seconds=1))
    assert queries.ai_calls_by_function(*window) == [
        {"function": "translate", "calls": 3, "errors": 0},
        {"function": "summarise", "calls": 2, "errors": 1},
    ]
    assert [row["sessions"] for row in queries.sessions_per_day(*window)] == [1, 2]
    assert [row["ai_users"] for row in queries.daily_active_users(*window)] == [1, 2]
