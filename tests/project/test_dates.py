"""Dates read the same everywhere, with the time zone."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_admin_shows_dates_in_the_one_format_with_the_time_zone(workspace):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser(email="support@keyward.test", password="x-long-pass-1")
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/accounts/workspace/").content.decode()
    assert f"{workspace.created_at:%-d %b %Y}, " in page and " UTC" in page
