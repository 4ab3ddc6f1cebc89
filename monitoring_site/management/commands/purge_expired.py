from django.core.management.base import BaseCommand

from monitoring_site.hooks import modules


class Command(BaseCommand):
    help = "Delete data older than its retention period (see README, Retention)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only report how many rows would go.")

    def handle(self, *args, dry_run, **options):
        verb = "would delete" if dry_run else "deleted"
        for _app, module in modules("retention"):
            for table, count in module.purge(dry_run=dry_run).items():
                self.stdout.write(f"{table}: {verb} {count} rows")
