"""Dashboard pages, mounted under /w/<workspace_slug>/."""

from django.urls import path

from . import views
from .api.workspace_urls import PublicIdConverter  # noqa: F401  (registers the `publicid` converter)

app_name = "licensing"

license = "licenses/<publicid:public_id>/"

urlpatterns = [
    path("licenses/", views.licenses, name="licenses"),
    path(license, views.license_detail, name="license_detail"),
    path(f"{license}assign/", views.license_assign, name="license_assign"),
    path(f"{license}unassign/", views.license_unassign, name="license_unassign"),
    path(f"{license}rekey/", views.license_rekey, name="license_rekey"),
    path(
        f"{license}machines/<publicid:activation_id>/deactivate/",
        views.activation_deactivate,
        name="activation_deactivate",
    ),
    path("members/<int:membership_id>/seat/", views.member_seat_assign, name="member_seat_assign"),
    path("my-license/", views.my_license, name="my_license"),
    path("my-license/trial/", views.trial_start, name="trial_start"),
]
