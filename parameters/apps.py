from django.apps import AppConfig


class ParametersConfig(AppConfig):
    name = "parameters"
    verbose_name = "Parameters"

    def ready(self):
        from . import crypto  # noqa: F401  (registers the PARAMETER_KEYS check)
