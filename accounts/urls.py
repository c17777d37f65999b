"""Dashboard pages of accounts. (Filled in by the dashboard work.)"""

app_name = "accounts"
urlpatterns = []
