from django.core.management.base import BaseCommand, CommandError

from alerts import reports


class Command(BaseCommand):
    help = "Send the daily or weekly summary (AI usage, errors, queues, alerts, feedback) by email and chat."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=sorted(reports.PERIODS), required=True)

    def handle(self, *args, **options):
        try:
            summary = reports.send(options["period"])
        except reports.ReportNotSent as exc:
            for line in exc.sent:
                self.stdout.write(f"sent: {line}")
            for line in exc.failed:
                self.stderr.write(f"NOT sent: {line}")
            raise CommandError(f"report not fully sent: {exc}") from exc
        except Exception as exc:
            raise CommandError(f"report not sent: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(summary)
