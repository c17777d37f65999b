"""Workspace licensing routes under /api/v1/workspaces/<slug>/ (URL names in `licensing_api`)."""

from django.urls import path, register_converter

from . import views_workspace as views


class PublicIdConverter:
    """lic_... / act_...: letters, digits and one underscore (so `trial` never matches a license)."""

    regex = r"[a-z]{3}_[0-9A-Za-z]{1,40}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PublicIdConverter, "publicid")

workspace = "workspaces/<slug:workspace_slug>/"
license = f"{workspace}licenses/<publicid:public_id>/"

urlpatterns = [
    path(f"{workspace}licenses/", views.LicenseListView.as_view(), name="workspace-license-list"),
    path(f"{workspace}licenses/trial/", views.TrialStartView.as_view(), name="workspace-trial-start"),
    path(f"{workspace}license-status/", views.LicenseStatusView.as_view(), name="workspace-license-status"),
    path(license, views.LicenseDetailView.as_view(), name="workspace-license-detail"),
    path(f"{license}assign/", views.LicenseAssignView.as_view(), name="workspace-license-assign"),
    path(f"{license}unassign/", views.LicenseUnassignView.as_view(), name="workspace-license-unassign"),
    path(f"{license}rekey/", views.LicenseRekeyView.as_view(), name="workspace-license-rekey"),
    path(
        f"{license}activations/<publicid:activation_id>/",
        views.ActivationDeleteView.as_view(),
        name="workspace-license-activation",
    ),
]
