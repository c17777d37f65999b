from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self):
        from . import certificates  # noqa: F401  (registers the SIGNING_KEY deploy check)
        from .snapshots import connect_receivers

        connect_receivers()
