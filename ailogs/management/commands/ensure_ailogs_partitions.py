from django.core.management.base import BaseCommand
from django.utils import timezone

from ailogs import partitions


class Command(BaseCommand):
    help = "Create the missing daily partitions of AI calls and their event ids (PostgreSQL; no-op elsewhere)."

    def handle(self, *args, **options):
        for table, created in partitions.ensure(timezone.now().date()).items():
            self.stdout.write(f"{table}: created {len(created)} partition(s)")
