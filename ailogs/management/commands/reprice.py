from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from ailogs.repricing import reprice


class Command(BaseCommand):
    help = "Recompute computed AI-call costs from the price table since a date (client-reported costs stay)."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="ISO date or datetime, e.g. 2026-01-01")

    def handle(self, *args, since, **options):
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise CommandError(f"--since {since!r} is not an ISO 8601 date.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        result = reprice(moment)
        self.stdout.write(
            f"repriced since {moment.isoformat()}: {result['changed']} call(s) changed, "
            f"{result['unpriced']} still unpriced, {result['hours']} hourly rollup(s) rebuilt"
        )
