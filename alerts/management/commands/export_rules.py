from pathlib import Path

from django.core.management.base import BaseCommand

from alerts import rulefile


class Command(BaseCommand):
    help = "Write every alert rule as YAML (channels by name), to stdout or --output FILE."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="A file to write instead of stdout.")

    def handle(self, *args, **options):
        text = rulefile.export()
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {text.count(chr(10) + '- name:')} rule(s) to {options['output']}")
        else:
            self.stdout.write(text, ending="")
