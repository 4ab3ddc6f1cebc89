from django.core.management.base import BaseCommand, CommandError

from feedback.models import FeedbackSite, parse_origins


class Command(BaseCommand):
    help = "Create a feedback site allowed to embed the widget; print its public key as the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--origins", default="", help="Comma-separated origins, e.g. https://a.example,https://b.example"
        )

    def handle(self, *args, name: str, origins: str, **options) -> None:
        try:
            allowed = parse_origins(origins)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not allowed:
            raise CommandError("Give at least one origin with --origins https://shop.example")
        if FeedbackSite.objects.filter(name=name).exists():
            raise CommandError(f"A feedback site named {name!r} already exists.")
        site = FeedbackSite.objects.create(name=name, allowed_origins="\n".join(allowed))
        self.stdout.write(f"Created feedback site {site.name!r} for {', '.join(allowed)}.")
        self.stdout.write("Paste this tag into the pages of those origins (SITE_URL is this site's address):")
        self.stdout.write(f"  {site.embed_tag()}")
        self.stdout.write(site.public_key)
