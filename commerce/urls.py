from django.urls import path

from . import views

app_name = "commerce"
urlpatterns = [path("vendor/grants/", views.pending_grants, name="pending_grants")]
