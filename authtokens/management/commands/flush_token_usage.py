from django.core.management.base import BaseCommand

from authtokens import usage


class Command(BaseCommand):
    help = (
        "Writes auth token uses counted in the shared client cache (Redis) to the database now, rather "
        "than at the next run of the periodic job. Nothing to do without Redis: uses are written at once."
    )

    def handle(self, *args, **options):
        flushed = usage.flush()
        self.stdout.write(f"Flushed buffered uses of {flushed} token(s).")
