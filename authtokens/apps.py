from django.apps import AppConfig


class AuthTokensConfig(AppConfig):
    name = "authtokens"
    verbose_name = "Auth tokens"
