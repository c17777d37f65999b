"""Re-encrypts every secret parameter value under the newest key in PARAMETER_KEYS."""

from django.core.management.base import BaseCommand, CommandError

from parameters import services
from project.errors import DomainError


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret parameter (and every secret version) under the first key in PARAMETER_KEYS. "
        "Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        try:
            touched = services.parameter_keys_rotate()
        except DomainError as error:
            raise CommandError(f"Nothing was changed: {error.message}") from None
        self.stdout.write(f"Re-encrypted {touched} row{'s' if touched != 1 else ''} under the newest key.")
