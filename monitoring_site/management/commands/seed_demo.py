from django.core.management.base import BaseCommand, CommandError

from monitoring_site.hooks import modules


class Command(BaseCommand):
    help = "Fill the database with realistic demo data over the last N days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--events", type=int, default=5000, help="Approximate number of AI calls.")

    def handle(self, *args, days, events, **options):
        if days < 1 or events < 0:
            raise CommandError("--days must be >= 1 and --events >= 0.")
        for app, module in modules("demo"):
            self.stdout.write(f"[{app}]")
            module.seed(days=days, events=events, stdout=self.stdout)
        self.stdout.write("demo data seeded")
