from django.core.management.base import BaseCommand, CommandError

from alerts import catalog, engine
from alerts.models import AlertRule
from monitoring_site.models import Heartbeat


def parse_moment(text: str, option: str):
    """ISO 8601 (2026-11-30T14:00Z); a moment without a zone is UTC."""
    from datetime import UTC

    from django.utils.dateparse import parse_datetime

    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"{option}: {text!r} is not an ISO 8601 date and time, e.g. 2026-11-30T14:00Z.")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Evaluate every enabled alert rule once and print each transition; --at evaluates a past moment read-only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            help="Measure every rule as of this moment (ISO 8601) and print its verdict; stores and sends nothing.",
        )

    def handle(self, *args, **options):
        if options["at"]:
            return self.evaluate_at(parse_moment(options["at"], "--at"))
        Heartbeat.beat(engine.HEARTBEAT)
        transitions = engine.evaluate_all()
        for t in transitions:
            self.stdout.write(
                f"{t.alert.rule.name}: {t.from_state} -> {t.to_state} [{t.reason}, {t.severity}] value={t.value} threshold={t.threshold}"
            )
        self.stdout.write(f"evaluated; {len(transitions)} transition(s)")

    def evaluate_at(self, at) -> None:
        """A past moment must not move live alerts: print what every rule saw, store nothing."""
        rules = list(AlertRule.objects.filter(enabled=True).order_by("name"))
        measurements = catalog.measure_many(rules, at)
        breaching = 0
        for rule in rules:
            measured = measurements.get(rule.pk)
            if measured is None:
                self.stdout.write(f"{rule.name}: failed to measure (see the log)")
                continue
            groups = measured if isinstance(measured, dict) else {"": measured}
            severities = []
            for group, measurement in sorted(groups.items()):
                value, severity, _ = engine.judge(rule, measurement)
                severities.append(severity)
                verdict = severity or ("no data" if value is None else "ok")
                shown = "-" if value is None else f"{value:.6g}"
                who = f"{rule.name} [{group}]" if group else rule.name
                self.stdout.write(f"{who}: {verdict} value={shown} samples={measurement.samples}")
            breaching += any(s is not None for s in severities)
        self.stdout.write(f"at {at.isoformat()}: {breaching} of {len(rules)} rule(s) breaching; nothing was stored")
