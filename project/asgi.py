import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_asgi_application()

from project.checks import refuse_to_start_wrong  # noqa: E402  (needs the apps loaded above)

refuse_to_start_wrong()
