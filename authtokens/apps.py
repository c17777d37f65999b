from django.apps import AppConfig


class AuthTokensConfig(AppConfig):
    name = "authtokens"
    verbose_name = "Auth tokens"

    def ready(self):
        from .api import schema  # noqa: F401 - registers the OpenAPI description of Bearer tokens
