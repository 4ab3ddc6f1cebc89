from django.core.management.base import BaseCommand

from ailogs import rollup


class Command(BaseCommand):
    help = "Rebuild the hourly AI-call rollups of every hour that received calls since the last run."

    def handle(self, *args, **options):
        result = rollup.run()
        self.stdout.write(f"rolled up {result['hours']} hour(s) up to call id {result['last_id']}")
