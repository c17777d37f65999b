"""Django admin's token list shows when each token was last used."""

import pytest
from django.test import Client
from django.utils import timezone

from authtokens.models import AuthToken, TokenUsageDay
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_list_shows_last_used(owner, member):
    used = AuthToken.objects.get(membership=owner, revoked_at__isnull=True)
    moment = timezone.now().replace(hour=9, minute=41)
    TokenUsageDay.objects.create(token=used, day=moment.date(), uses=3, last_used_at=moment)
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/authtokens/authtoken/").content.decode()
    assert "Last used" in page
    assert f"{moment.day} {moment:%b %Y}, 09:41 UTC" in page
    assert "Never" in page  # the member's token was never used
