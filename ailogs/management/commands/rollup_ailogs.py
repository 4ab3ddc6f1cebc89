from django.core.management.base import BaseCommand

from ailogs import rollup


class Command(BaseCommand):
    help = "Rebuild the AI-call rollups of every hour that received calls since the last run, and of their ended days."

    def handle(self, *args, **options):
        result = rollup.run()
        self.stdout.write(
            f"rolled up {result['hours']} hour(s) and {result['days']} day(s) up to call id {result['last_id']}"
        )
