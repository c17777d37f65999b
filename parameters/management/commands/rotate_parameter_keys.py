"""Re-encrypts every secret kept with PARAMETER_KEYS under the newest key: secret parameter values
and webhook signing secrets."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from parameters import services
from project.errors import DomainError
from webhooks import services as webhook_services


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret parameter (and every secret version) and every webhook signing secret "
        "under the first key in PARAMETER_KEYS. Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        try:
            with transaction.atomic():  # all or nothing, across both apps
                parameters = services.parameter_keys_rotate()
                endpoints = webhook_services.endpoint_secrets_reencrypt()
        except DomainError as error:
            raise CommandError(f"Nothing was changed: {error.message}") from None
        self.stdout.write(
            f"Re-encrypted {parameters} parameter row{'s' if parameters != 1 else ''} and the signing "
            f"secrets of {endpoints} webhook endpoint{'s' if endpoints != 1 else ''} under the newest key."
        )
