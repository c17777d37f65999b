from django.core.management.base import BaseCommand

from authtokens import usage
from authtokens.models import AuthToken


class Command(BaseCommand):
    help = (
        "Writes auth token uses buffered in the cache (AUTH_TOKEN_USAGE_BUFFER_SECONDS > 0) to the database. "
        "Useful with a shared cache such as Redis; a locmem cache lives inside each server process."
    )

    def handle(self, *args, **options):
        ids = AuthToken.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True).iterator()
        flushed = usage.flush(ids)
        self.stdout.write(f"Flushed buffered uses of {flushed} token(s).")
