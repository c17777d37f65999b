"""Views that fail unexpectedly, for the JSON 500 tests."""

from django.urls import path


def boom(request):
    raise RuntimeError("an unexpected bug")


urlpatterns = [path("boom/", boom), path("api/boom/", boom)]
handler500 = "project.api.errors.server_error"
