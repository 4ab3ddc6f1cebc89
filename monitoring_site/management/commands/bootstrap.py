import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand

from monitoring_site.roles import ADMIN, MODERATOR, USER

DEMO_USERS = (("admin", ADMIN), ("moderator", MODERATOR), ("user", USER))


def login_banner(host: str, port: str, password: str) -> str:
    """Where each demo account signs in: staff in the admin, the end user on the feedback pages."""
    # 0.0.0.0 and :: listen everywhere but are no address to open in a browser.
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (compared, never bound)
    base = f"http://{shown}:{port}" if ":" not in shown else f"http://[{shown}]:{port}"
    rows = [
        ("admin", f"{base}/admin/", "Admin: dashboard, AI calls, metrics, alerts, settings"),
        ("moderator", f"{base}/admin/", "Moderator: feedback triage, alerts"),
        ("user", f"{base}/feedback/login/", "User: sends feedback, sees their own (no admin)"),
    ]
    lines = ["", f"  AI Monitoring is running on {base}/   (password: {password})", ""]
    lines += [f"    {name:<10} {url:<40} {what}" for name, url, what in rows]
    lines += ["", "  Ctrl-C stops web, worker and beat.", ""]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "First-run set-up for `make run`: roles, defaults, demo users and demo data when the database is empty."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1", help="the address the web process binds")
        parser.add_argument("--no-demo-data", action="store_true")

    def handle(self, *args, host, port, no_demo_data, **options):
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
        password = credentials_file.read_text().strip() if credentials_file.exists() else "the one you set"
        banner = login_banner(host, port, password)
        # `make run` (monitoring_site/run.py) prints it again once web, worker and beat are up.
        banner_file = settings.VAR_DIR / "run-banner.txt"
        banner_file.write_text(banner)
        banner_file.chmod(0o600)  # it carries the demo password, as demo-credentials.txt does
        self.stdout.write(banner)
