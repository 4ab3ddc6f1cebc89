from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from traces.partitions import spans


class Command(BaseCommand):
    help = "Create the span table's missing daily partitions (PostgreSQL; a no-op elsewhere)."

    def handle(self, *args, **options) -> None:
        created = spans.ensure(
            timezone.now().date(), settings.SPANS_RETENTION_DAYS + 1, settings.TRACES_PARTITIONS_AHEAD_DAYS
        )
        self.stdout.write(f"created {len(created)} partition(s)" + (f": {', '.join(created)}" if created else ""))
