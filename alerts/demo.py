"""seed_demo: the default rules replayed over the demo data, so alerts have a history to show."""

from datetime import timedelta

from django.utils import timezone

from alerts import defaults, engine
from alerts.models import Alert, AlertRule, AlertTransition, NotificationChannel, NotificationDelivery

REPLAY_DAYS = 1  # ~600 evaluations: seconds, not minutes, in `make run`
STEP = timedelta(minutes=30)


def seed(days: int, events: int, stdout) -> None:
    defaults.install(_Quiet())
    now = timezone.now()
    at = now - timedelta(days=min(days, REPLAY_DAYS))
    rules = list(AlertRule.objects.filter(enabled=True))
    while at <= now:
        for rule in rules:
            engine.evaluate_rule(rule, at)
        at += STEP
    email, _ = NotificationChannel.objects.get_or_create(
        name="Demo email", defaults={"kind": "email", "target": "ops@example.com", "min_severity": "warning"}
    )
    webhook, _ = NotificationChannel.objects.get_or_create(
        name="Demo webhook",
        defaults={"kind": "webhook", "target": "https://hooks.example.com/ops", "min_severity": "critical"},
    )
    _deliveries(email, webhook)
    fired = Alert.objects.filter(fired_at__isnull=False).count()
    stdout.write(
        f"  replayed {len(rules)} rules over {min(days, REPLAY_DAYS)} day(s): {fired} alerts fired, {AlertTransition.objects.count()} transitions"
    )


def _deliveries(email: NotificationChannel, webhook: NotificationChannel) -> None:
    """What the replayed transitions would have sent (no real mail leaves a demo): the Alerts tab's
    "Notifications per channel" and the delivery log then have a history, one failure included."""
    transitions = AlertTransition.objects.filter(to_state__in=("firing", "resolved"), silenced=False)
    rows = []
    for i, transition in enumerate(transitions.select_related("alert")):
        channels = [email] + ([webhook] if transition.severity == "critical" else [])
        for channel in channels:
            failed = channel is webhook and i % 4 == 3  # the receiver answered 502 now and then
            rows.append(
                NotificationDelivery(
                    channel=channel,
                    alert=transition.alert,
                    transition=transition,
                    event=transition.to_state,
                    status=NotificationDelivery.Status.FAILED if failed else NotificationDelivery.Status.SENT,
                    attempts=5 if failed else 1,
                    status_code=(502 if failed else 200) if channel is webhook else None,
                    error="HTTP 502 from the receiver" if failed else "",
                    duration_ms=180 if channel is webhook else 40,
                    created_at=transition.at,
                    sent_at=None if failed else transition.at + timedelta(seconds=1),
                )
            )
    NotificationDelivery.objects.bulk_create(rows, ignore_conflicts=True)


class _Quiet:
    def write(self, *args) -> None:
        pass
