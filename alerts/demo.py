"""seed_demo: the default rules replayed over the demo data, so alerts have a history to show."""

from datetime import timedelta

from django.utils import timezone

from alerts import defaults, engine
from alerts.models import Alert, AlertRule, AlertTransition, NotificationChannel

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
    NotificationChannel.objects.get_or_create(
        name="Demo email", defaults={"kind": "email", "target": "ops@example.com", "min_severity": "warning"}
    )
    fired = Alert.objects.filter(fired_at__isnull=False).count()
    stdout.write(
        f"  replayed {len(rules)} rules over {min(days, REPLAY_DAYS)} day(s): {fired} alerts fired, {AlertTransition.objects.count()} transitions"
    )


class _Quiet:
    def write(self, *args) -> None:
        pass
