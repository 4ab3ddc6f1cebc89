from django.core.management.base import BaseCommand

from monitoring_site.roles import setup_roles


class Command(BaseCommand):
    help = "Create or update the Admin, Moderator and User groups and their permissions (idempotent)."

    def handle(self, *args, **options):
        for name, count in setup_roles().items():
            self.stdout.write(f"group {name}: {count} permissions")
