from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from metrics import rollups


class Command(BaseCommand):
    help = "Recompute hourly (and completed daily) metric rollups for the last N hours; idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours", type=int, default=settings.METRICS_ROLLUP_HOURS, help="How many completed hours to (re)compute."
        )

    def handle(self, *args, hours: int, **options):
        if not 1 <= hours <= 24 * 400:
            raise CommandError("--hours must be between 1 and 9600.")
        done = rollups.run(timezone.now(), hours)
        self.stdout.write(
            f"Rolled up {done['hours']} hour(s) ({done['hour_series']} series) and {done['days']} day(s) ({done['day_series']} series)."
        )
