from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from monitoring_site.models import SCOPES, ApiKey, AuditEvent


class Command(BaseCommand):
    help = "Create a service API key and print it once, as the last line of output."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scopes", required=True, help=f"Comma-separated, from: {', '.join(SCOPES)}")
        parser.add_argument("--expires-days", type=int, default=None)
        parser.add_argument("--rate-limit", type=int, default=None, help="Requests per minute for this key.")

    def handle(self, *args, name, scopes, expires_days, rate_limit, **options):
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(SCOPES))
        if not wanted or unknown:
            raise CommandError(
                f"Unknown or missing scopes: {', '.join(unknown) or '(none given)'}. Valid: {', '.join(SCOPES)}"
            )
        if not name.strip():
            raise CommandError("NAME must not be empty.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more (omit it for a key that does not expire).")
        if rate_limit is not None and rate_limit < 1:
            raise CommandError("--rate-limit must be 1 or more requests per minute.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        key, raw = ApiKey.issue(name.strip(), wanted, expires_at=expires_at, rate_limit_per_minute=rate_limit)
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.API_KEY_CREATED, actor_label="manage.py", detail={"key": key.display, "scopes": wanted}
        )
        self.stdout.write(f"Created API key {key.display} for {key.name!r} with scopes {', '.join(wanted)}.")
        self.stdout.write("Store it now; only its hash is kept:")
        self.stdout.write(raw)
