import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()

from project.checks import refuse_to_start_wrong  # noqa: E402  (needs the apps loaded above)

refuse_to_start_wrong()
