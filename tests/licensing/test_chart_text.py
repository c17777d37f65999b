"""Charts show their values as text (a table), not only as hover tooltips, with one date format."""

import pytest
from django.test import Client
from django.utils import timezone

from .factories import LicenseFactory, LicenseValidationDayFactory

pytestmark = pytest.mark.django_db


def test_license_chart_has_a_table_of_its_values(admin, workspace):
    license = LicenseFactory(workspace=workspace)
    LicenseValidationDayFactory(license=license, count=12)
    client = Client()
    client.force_login(admin.user)
    page = client.get(f"/w/acme/licenses/{license.public_id}/").content.decode()
    table = page[page.index('class="chart-table"') :]
    today = timezone.now().date()
    assert f"<td>{today:%a} {today.day} {today:%b}</td><td>12</td>" in table


def test_token_chart_has_a_table_of_its_values(owner):
    from authtokens.models import AuthToken, TokenUsageDay

    token = AuthToken.objects.get(membership=owner, revoked_at__isnull=True)
    TokenUsageDay.objects.create(token=token, day=timezone.now().date(), uses=7, last_used_at=timezone.now())
    client = Client()
    client.force_login(owner.user)
    page = client.get(f"/w/acme/tokens/{token.public_id}/").content.decode()
    table = page[page.index('class="chart-table"') :]
    today = timezone.now().date()
    assert f"<td>{today:%a} {today.day} {today:%b}</td><td>7</td>" in table
