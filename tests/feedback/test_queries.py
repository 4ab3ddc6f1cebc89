from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from feedback import queries
from feedback.models import Feedback


def make(site, **fields):
    return Feedback.objects.create(site=site, message=fields.pop("message", "m"), **fields)


def test_high_priority_pending_counts_pending_high_non_spam(site):
    make(site, priority="high")
    make(site, priority="high", category="feature")
    make(site, priority="high", status="reviewed")
    make(site, priority="high", status="spam")
    make(site, priority="medium")
    assert queries.high_priority_pending() == 2


def test_counts_by_category_and_status_in_a_window(site):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3)):
        make(site, category="bug")
    make(site, category="bug", status="resolved")
    make(site, category="question")
    make(site, category="bug", status="spam")
    since, until = now - timedelta(days=1), now + timedelta(minutes=1)
    assert queries.counts_by_category(since, until) == {"bug": 1, "feature": 0, "question": 1, "general": 0}
    assert queries.counts_by_status(since, until) == {"pending": 1, "reviewed": 0, "resolved": 1}
    assert queries.counts_by_status() == {"pending": 2, "reviewed": 0, "resolved": 1}
    assert queries.spam_count(since, until) == 1


def test_submissions_over_time_by_day(site):
    now = timezone.now().replace(hour=12)
    with time_machine.travel(now - timedelta(days=1)):
        make(site, category="bug")
        make(site, category="bug")
    with time_machine.travel(now):
        make(site, category="feature")
    rows = queries.submissions_over_time(now - timedelta(days=2), now + timedelta(hours=1))
    assert [(r["bucket"].date(), r["category"], r["count"]) for r in rows] == [
        ((now - timedelta(days=1)).date(), "bug", 2),
        (now.date(), "feature", 1),
    ]


def test_prometheus_counts_submissions_by_category(site):
    make(site, category="bug")
    make(site, category="bug")
    make(site, category="feature", status="spam", spam_reason="honeypot")
    text = Client().get("/metrics").text
    assert 'feedback_submissions_total{category="bug"} 2.0' in text
    assert 'feedback_submissions_total{category="feature"} 0.0' in text
    assert 'feedback_spam_total{reason="honeypot"} 1.0' in text
