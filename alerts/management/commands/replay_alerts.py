from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alerts import replay
from alerts.management.commands.evaluate_alerts import parse_moment
from alerts.models import AlertRule


class Command(BaseCommand):
    help = (
        "Replay alert rules over past data and print every transition they would have made and the "
        "notifications they would have sent. Changes nothing."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--rule", help="The rule's name.")
        which.add_argument("--all", action="store_true", help="Every enabled rule.")
        parser.add_argument("--from", dest="since", required=True, help="ISO 8601, e.g. 2026-11-30T14:00Z.")
        parser.add_argument("--to", dest="until", help="ISO 8601; default now.")
        parser.add_argument("--step", default="1m", help="Between evaluations: 30s, 1m, 5m, 1h (default 1m).")

    def handle(self, *args, **options):
        since = parse_moment(options["since"], "--from")
        until = parse_moment(options["until"], "--to") if options["until"] else timezone.now()
        try:
            step = replay.parse_step(options["step"])
        except ValueError as exc:
            raise CommandError(f"--step: {exc}") from None
        if options["all"]:
            rules = list(AlertRule.objects.filter(enabled=True).order_by("pk"))
        else:
            rules = list(AlertRule.objects.filter(name=options["rule"]))
            if not rules:
                raise CommandError(f"--rule: no rule named {options['rule']!r}.")
        try:
            result = replay.run(rules, since, until, step)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for row in result.transitions:
            value = "no data" if row.value is None else f"{row.value:.6g}"
            who = f"{row.rule} [{row.group}]" if row.group else row.rule
            self.stdout.write(
                f"{row.at.isoformat()} {who}: {row.from_state} -> {row.to_state} "
                f"[{row.reason}, {row.severity or '-'}] value={value}"
            )
        self.stdout.write(
            f"{len(rules)} rule(s), {result.steps} step(s): {len(result.transitions)} transition(s), "
            f"{result.notifications} notification(s) would have been sent; nothing was stored or sent"
        )
