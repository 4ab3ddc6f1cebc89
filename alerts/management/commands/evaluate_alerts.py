from django.core.management.base import BaseCommand

from alerts import engine
from monitoring_site.models import Heartbeat


class Command(BaseCommand):
    help = "Evaluate every enabled alert rule once and print each transition."

    def handle(self, *args, **options):
        Heartbeat.beat(engine.HEARTBEAT)
        transitions = engine.evaluate_all()
        for t in transitions:
            self.stdout.write(
                f"{t.alert.rule.name}: {t.from_state} -> {t.to_state} [{t.reason}, {t.severity}] value={t.value} threshold={t.threshold}"
            )
        self.stdout.write(f"evaluated; {len(transitions)} transition(s)")
