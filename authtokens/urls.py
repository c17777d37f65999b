"""Dashboard pages, mounted under /w/<workspace_slug>/."""

from django.urls import path

from . import views

app_name = "authtokens"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/developer/reset/", views.developer_reset, name="developer_reset"),
    path("tokens/ci/new/", views.ci_create, name="ci_create"),
    path("tokens/<str:token_id>/", views.token_detail, name="token_detail"),
    path("tokens/<str:token_id>/rename/", views.ci_rename, name="ci_rename"),
    path("tokens/<str:token_id>/rotate/", views.ci_rotate, name="ci_rotate"),
    path("tokens/<str:token_id>/revoke/", views.ci_revoke, name="ci_revoke"),
    path("security-log/", views.security_log, name="security_log"),
]
