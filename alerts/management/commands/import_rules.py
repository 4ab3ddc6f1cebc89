from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from alerts import rulefile
from monitoring_site.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Create or update alert rules from a YAML file (as export_rules writes it), matched by name. "
        "Every rule is validated first; nothing changes unless all are sound."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The YAML file.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; change nothing.")
        parser.add_argument("--prune", action="store_true", help="Also delete rules the file does not name.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read it ({exc}).") from None
        try:
            result = rulefile.plan(rulefile.load(text), prune=options["prune"])
        except rulefile.RuleFileError as exc:
            raise CommandError(f"{path}: nothing imported:\n" + "\n".join(f"  {e}" for e in exc.errors)) from None
        for line in result.lines():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("dry run: nothing changed")
            return
        rulefile.apply(result)
        if result.saves or result.delete:
            AuditEvent.objects.create(
                kind=AuditEvent.Kind.CONFIG_CHANGED,
                actor_label="manage.py import_rules",
                detail={
                    "import_rules": str(path.name),
                    "created": result.create,
                    "updated": [name for name, _ in result.update],
                    "deleted": result.delete,
                },
            )
