"""Dashboard pages, mounted under /w/<workspace_slug>/."""

app_name = "authtokens"
urlpatterns = []
