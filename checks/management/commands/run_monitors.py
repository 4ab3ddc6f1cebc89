from django.core.management.base import BaseCommand

from checks import monitors


class Command(BaseCommand):
    help = "Run every uptime monitor that is due now, in this process, and print each result."

    def handle(self, *args, **options):
        ids = monitors.claim_due()
        for pk in ids:
            result = monitors.run(pk)
            if result is not None:
                self.stdout.write(f"{result.monitor.name}: {'up' if result.up else 'down'} ({result.reason})")
        self.stdout.write(f"{len(ids)} monitor(s) run")
