"""alerts_firing{severity} and alert_notifications_total{kind,result}, read from the database."""

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


class AlertsCollector:
    def collect(self):
        from django.db.models import Count

        from alerts.models import Alert, NotificationDelivery, Severity

        firing = GaugeMetricFamily("alerts_firing", "Alerts firing now", labels=["severity"])
        counts = dict(Alert.objects.filter(state=Alert.State.FIRING).values_list("severity").annotate(n=Count("id")))
        for severity in Severity.values:
            firing.add_metric([severity], counts.get(severity, 0))
        yield firing
        sent = CounterMetricFamily(
            "alert_notifications", "Notification deliveries by channel kind and result", labels=["kind", "result"]
        )
        rows = (
            NotificationDelivery.objects.exclude(status=NotificationDelivery.Status.PENDING)
            .values_list("channel__kind", "status")
            .annotate(n=Count("id"))
        )
        for kind, status, n in rows:
            sent.add_metric([kind, status], n)
        yield sent
