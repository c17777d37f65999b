from django.core.management.base import BaseCommand

from licensing.counters import validation_counts_flush


class Command(BaseCommand):
    help = (
        "Writes the license validations counted in the shared client cache (Redis) to the database now, "
        "rather than at the next run of the periodic job. Nothing to do without Redis."
    )

    def handle(self, *args, **options):
        flushed = validation_counts_flush()
        self.stdout.write(f"Flushed {flushed} buffered validation(s).")
