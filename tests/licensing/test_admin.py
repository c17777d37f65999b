"""Django admin for licensing: staff manage products, policies and licenses; keys never leak."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from licensing.keys import hash_key
from licensing.models import License, LicenseStatus
from tests.factories import UserFactory

from .factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelists_and_forms_load(staff_client, workspace):
    license = LicenseFactory(workspace=workspace)
    ActivationFactory(license=license)
    for url in [
        "/admin/licensing/product/",
        "/admin/licensing/policy/",
        "/admin/licensing/license/",
        "/admin/licensing/license/add/",
        f"/admin/licensing/license/{license.pk}/change/",
        "/admin/licensing/activation/",
        f"/admin/licensing/product/{license.policy.product_id}/change/",
        f"/admin/licensing/policy/{license.policy_id}/change/",
    ]:
        assert staff_client.get(url).status_code == 200, url


def test_admin_pages_never_show_the_key_or_its_hash(staff_client, workspace):
    license = LicenseFactory(workspace=workspace, key="KW-SECRET-KEY-0001")
    for url in ["/admin/licensing/license/", f"/admin/licensing/license/{license.pk}/change/"]:
        page = staff_client.get(url).content.decode()
        assert "KW-SECRET-KEY-0001" not in page and hash_key("KW-SECRET-KEY-0001") not in page
        assert license.masked_key in page


def test_add_a_license_shows_the_key_once(staff_client, workspace):
    policy = PolicyFactory(key_prefix="EMU", duration=timedelta(days=30))
    response = staff_client.post(
        "/admin/licensing/license/add/",
        {
            "policy": policy.pk,
            "workspace": workspace.pk,
            "supplied_key": "",
            "name": "Via admin",
            "metadata": '{"order": 7}',
            "expires_at_0": "",
            "expires_at_1": "",
            "source": "manual",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    license = License.objects.get()
    assert response["Location"] == f"/admin/licensing/license/{license.pk}/key/"
    assert "EMU-" not in response["Location"]
    response = staff_client.get(response["Location"])
    page = response.content.decode()
    assert "Copy the key now" in page and 'data-copy="new-license-key"' in page
    assert "no-store" in response["Cache-Control"]
    shown = page.split('id="new-license-key"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert shown.startswith("EMU-") and hash_key(shown) == license.key_hash
    assert license.metadata == {"order": 7} and license.expires_at is not None
    assert shown not in staff_client.get(f"/admin/licensing/license/{license.pk}/change/").content.decode()
    reloaded = staff_client.get(f"/admin/licensing/license/{license.pk}/key/").content.decode()
    assert shown not in reloaded and "is not shown again" in reloaded  # a reload shows nothing...
    assert License.objects.count() == 1  # ...and creates nothing


def test_add_with_a_duplicate_key_or_big_metadata_is_refused(staff_client, workspace):
    existing = LicenseFactory(key="TAKEN-KEY")
    data = {
        "policy": existing.policy_id,
        "workspace": "",
        "supplied_key": "TAKEN-KEY",
        "name": "",
        "metadata": "{}",
        "source": "manual",
    }
    response = staff_client.post("/admin/licensing/license/add/", data)
    assert response.status_code == 200 and "already exists" in response.content.decode()
    data.update(supplied_key="NEW-KEY", metadata='{"x": "' + "y" * 5000 + '"}')
    response = staff_client.post("/admin/licensing/license/add/", data)
    assert "keep it to 4096 bytes" in response.content.decode()
    assert License.objects.count() == 1


def test_change_goes_through_the_service(staff_client):
    license = LicenseFactory(name="old")
    until = timezone.now() + timedelta(days=99)
    response = staff_client.post(
        f"/admin/licensing/license/{license.pk}/change/",
        {
            "name": "renamed",
            "metadata": '{"a": 1}',
            "expires_at_0": until.strftime("%Y-%m-%d"),
            "expires_at_1": until.strftime("%H:%M:%S"),
            "activations-TOTAL_FORMS": "0",
            "activations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    license.refresh_from_db()
    assert license.name == "renamed" and license.metadata == {"a": 1}
    assert license.expires_at.date() == until.date()


def test_actions_suspend_reinstate_revoke_extend(staff_client):
    first, second = LicenseFactory(), LicenseFactory(status=LicenseStatus.REVOKED)
    url = "/admin/licensing/license/"

    def act(action, *licenses):
        return staff_client.post(
            url, {"action": action, "_selected_action": [lic.pk for lic in licenses]}, follow=True
        ).content.decode()

    page = act("suspend", first, second)
    assert "1 license(s) suspended" in page and "revoked and cannot be suspended" in page
    assert License.objects.get(pk=first.pk).status == LicenseStatus.SUSPENDED
    act("reinstate", first)
    assert License.objects.get(pk=first.pk).status == LicenseStatus.ACTIVE
    before = License.objects.get(pk=first.pk).expires_at
    act("extend", first)
    assert License.objects.get(pk=first.pk).expires_at == before + timedelta(days=30)
    act("revoke", first)
    assert License.objects.get(pk=first.pk).status == LicenseStatus.REVOKED


def test_effective_status_filter(staff_client):
    expired = LicenseFactory(expires_at=timezone.now() - timedelta(days=1), key="KW-AAAA-1111")
    live = LicenseFactory(key="KW-BBBB-2222")
    page = staff_client.get("/admin/licensing/license/?effective_status=expired").content.decode()
    assert expired.masked_key in page and live.masked_key not in page


def test_non_staff_cannot_reach_admin(client, member):
    client.force_login(member.user)
    assert client.get("/admin/licensing/license/").status_code == 302
    assert ProductFactory()  # the catalogue exists; the redirect is about the user


def test_product_and_policy_admin_save_through_the_services(staff_client):
    from django.urls import reverse

    from licensing.models import Policy, Product

    bad = staff_client.post(reverse("admin:licensing_product_add"), {"name": "Emulator", "code": "Emulator"})
    assert bad.status_code == 200 and "up to 50 lower-case letters" in bad.content.decode()
    assert not Product.objects.exists()
    good = staff_client.post(
        reverse("admin:licensing_product_add"), {"name": " Emulator ", "code": "emulator"}
    )
    assert good.status_code == 302
    product = Product.objects.get(code="emulator")
    assert product.name == "Emulator"  # stripped by product_clean, as the staff API does

    form = {
        "product": product.pk,
        "name": "CI",
        "max_activations": "0",
        "trial_days": "14",
        "offline_lifetime": "1 00:00:00",
        "ci_only": "on",
        "activation_instructions": "",
        "key_prefix": "kw",
    }
    refused = staff_client.post(reverse("admin:licensing_policy_add"), form)
    assert (
        refused.status_code == 200
        and "The activation limit must be more than zero" in refused.content.decode()
    )
    assert not Policy.objects.exists()
    assert (
        staff_client.post(reverse("admin:licensing_policy_add"), {**form, "max_activations": "2"}).status_code
        == 302
    )
    policy = Policy.objects.get()
    assert (policy.key_prefix, policy.ci_only, policy.allow_ci) == ("KW", True, True)
