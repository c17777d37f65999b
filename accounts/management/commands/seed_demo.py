from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Each app seeds its own demo data, in this order (later ones build on earlier ones).
DEMO_MODULES = ["accounts.demo", "authtokens.demo", "licensing.demo"]


class Command(BaseCommand):
    help = "Creates demo data (idempotent) and prints how to log in."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # The demo accounts share a published password; in a production database they are a way in.
            raise CommandError(
                "seed_demo creates accounts with a published password, so it only runs with DEBUG=true; "
                "point DATABASE_URL at a development database and set DEBUG=true."
            )
        lines = []
        for name in DEMO_MODULES:
            if find_spec(name) is None:  # that app has no demo data yet
                continue
            lines.extend(import_module(name).seed() or [])
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Open http://127.0.0.1:8000/ and log in:"))
        for line in lines:
            self.stdout.write(line)
