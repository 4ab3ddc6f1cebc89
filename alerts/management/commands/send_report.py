from django.core.management.base import BaseCommand, CommandError

from alerts import reports


class Command(BaseCommand):
    help = "Send the daily or weekly summary (AI usage, errors, queues, alerts, feedback) by email and chat."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=sorted(reports.PERIODS), required=True)

    def handle(self, *args, **options):
        try:
            self.stdout.write(reports.send(options["period"]))
        except Exception as exc:
            raise CommandError(f"report not sent: {exc}") from exc
