"""Prometheus figures read from the database at scrape time (feedback is kept, so counting rows is exact)."""

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from feedback.models import Feedback


class FeedbackCollector:
    def collect(self):
        submissions = CounterMetricFamily(
            "feedback_submissions", "Feedback received (spam excluded), by category.", labels=["category"]
        )
        rows = dict(Feedback.objects.not_spam().order_by().values_list("category").annotate(n=Count("id")))
        for category in Feedback.Category.values:
            submissions.add_metric([category], rows.get(category, 0))
        yield submissions
        spam = CounterMetricFamily("feedback_spam", "Feedback stored as spam, by reason.", labels=["reason"])
        for reason, count in (
            Feedback.objects.filter(status=Feedback.Status.SPAM)
            .order_by()
            .values_list("spam_reason")
            .annotate(n=Count("id"))
        ):
            spam.add_metric([reason or "unknown"], count)
        yield spam
        pending = GaugeMetricFamily("feedback_high_priority_pending", "Pending high-priority feedback.")
        pending.add_metric([], Feedback.objects.needing_attention().count())
        yield pending
