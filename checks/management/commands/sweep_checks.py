from django.core.management.base import BaseCommand

from checks import services


class Command(BaseCommand):
    help = "Mark every check whose ping is overdue past its grace time down (beat runs this every minute)."

    def handle(self, *args, **options):
        flipped = services.sweep_late()
        self.stdout.write(f"{flipped} late check(s) marked down")
