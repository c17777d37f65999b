from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Not a domain app: it registers the start-up checks of project/checks.py and holds the
    scheduler command (management/commands/run_scheduler.py)."""

    name = "project"
    verbose_name = "Keyward"

    def ready(self):
        from . import checks  # noqa: F401  (registers the checks)
