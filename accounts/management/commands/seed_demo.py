from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand

# Each app seeds its own demo data, in this order (later ones build on earlier ones).
DEMO_MODULES = ["accounts.demo", "authtokens.demo", "licensing.demo"]


class Command(BaseCommand):
    help = "Creates demo data (idempotent) and prints how to log in."

    def handle(self, *args, **options):
        lines = []
        for name in DEMO_MODULES:
            if find_spec(name) is None:  # that app has no demo data yet
                continue
            lines.extend(import_module(name).seed() or [])
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Open http://127.0.0.1:8000/ and log in:"))
        for line in lines:
            self.stdout.write(line)
