import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand

from monitoring_site.roles import ADMIN, MODERATOR, USER

DEMO_USERS = (("admin", ADMIN), ("moderator", MODERATOR), ("user", USER))


class Command(BaseCommand):
    help = "First-run set-up for `make run`: roles, defaults, demo users and demo data when the database is empty."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-demo-data", action="store_true")

    def handle(self, *args, port, no_demo_data, **options):
        call_command("setup_roles", stdout=self.stdout)
        call_command("setup_defaults", stdout=self.stdout)
        credentials_file = settings.VAR_DIR / "demo-credentials.txt"
        User = get_user_model()
        if not User.objects.exists():
            password = secrets.token_urlsafe(12)
            for username, role in DEMO_USERS:
                user = User.objects.create_user(username, f"{username}@example.com", password, is_staff=role != USER)
                user.groups.add(Group.objects.get(name=role))
            credentials_file.write_text(f"{password}\n")
            credentials_file.chmod(0o600)
            if not no_demo_data:
                call_command("seed_demo", stdout=self.stdout)
        password = credentials_file.read_text().strip() if credentials_file.exists() else "(set by you)"
        self.stdout.write("")
        self.stdout.write(f"  Admin:  http://127.0.0.1:{port}/admin/")
        self.stdout.write(f"  Login:  admin / {password}   (also: moderator, user; same password)")
        self.stdout.write("")
