from django.core.management.base import BaseCommand

from monitoring_site.hooks import modules


class Command(BaseCommand):
    help = "Install default data: model prices, alert rules and the like (idempotent; never overwrites edits)."

    def handle(self, *args, **options):
        for app, module in modules("defaults"):
            self.stdout.write(f"[{app}]")
            module.install(self.stdout)
        self.stdout.write("defaults installed")
