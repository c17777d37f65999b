"""Keyward's own URLs plus views that fail unexpectedly, for the JSON 500 tests (the dashboard's
500 page links back into the app, so the real routes must be there)."""

from django.urls import path

from project.urls import handler500  # noqa: F401  (Django reads handler500)
from project.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("an unexpected bug")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *project_urlpatterns]
