"""Safe controls on the dashboard: an explicit Save for roles, a confirmation before making an
owner and before every destructive action (also without JavaScript), no "Leave" for the last owner."""

import pytest
from django.test import Client

from accounts import services
from accounts.models import Membership, Role
from authtokens.models import AuthToken
from licensing.models import Activation, License
from tests.licensing.factories import ActivationFactory, LicenseFactory

pytestmark = pytest.mark.django_db

W = "/w/acme"


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_making_an_owner_asks_first_then_changes_on_confirmation(owner, member):
    client = client_for(owner)
    url = f"{W}/members/{member.pk}/role/"
    asked = client.post(url, {"role": "owner", "next": f"{W}/members/?q=m"})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Make member@acme.test an owner?" in page
    assert 'name="role" value="owner"' in page and 'name="confirmed" value="yes"' in page
    assert f'href="{W}/members/?q=m"' in page  # Cancel goes back where the form was
    member.refresh_from_db()
    assert member.role == Role.MEMBER
    done = client.post(url, {"role": "owner", "confirmed": "yes"})
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.OWNER


def test_other_role_changes_need_no_confirmation_and_say_an_admin(owner, member):
    response = client_for(owner).post(f"{W}/members/{member.pk}/role/", {"role": "admin"}, follow=True)
    assert "member@acme.test is now an admin." in response.content.decode()


def test_confirmation_page_never_links_off_site(owner, member):
    asked = client_for(owner).post(
        f"{W}/members/{member.pk}/role/", {"role": "owner", "next": "https://evil.example/"}
    )
    assert b"evil.example" not in asked.content


def test_revoking_an_invitation_asks_without_javascript(owner):
    invitation = services.membership_invite(actor=owner, email="x@example.com")
    client = client_for(owner)
    asked = client.post(f"{W}/invitations/{invitation.pk}/revoke/")
    assert asked.status_code == 200 and b"Revoke invitation" in asked.content
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_unassign_from_the_members_page_asks_and_comes_back(owner, member):
    license = LicenseFactory(workspace=owner.workspace, assignee=member)
    client = client_for(owner)
    asked = client.post(f"{W}/licenses/{license.public_id}/unassign/", {"next": f"{W}/members/"})
    assert asked.status_code == 200
    assert f'name="next" value="{W}/members/"' in asked.content.decode()
    assert License.objects.get(pk=license.pk).assignee == member
    done = client.post(
        f"{W}/licenses/{license.public_id}/unassign/", {"next": f"{W}/members/", "confirmed": "yes"}
    )
    assert done["Location"] == f"{W}/members/"
    assert License.objects.get(pk=license.pk).assignee is None


def test_a_member_without_the_permission_gets_the_refusal_not_a_question(member, owner):
    license = LicenseFactory(workspace=owner.workspace, assignee=owner)
    response = client_for(member).post(f"{W}/licenses/{license.public_id}/unassign/", follow=True)
    assert "manage licenses" in response.content.decode()
    assert License.objects.get(pk=license.pk).assignee == owner


def test_removing_a_member_frees_their_seat_releases_machines_and_ends_their_token(owner, member):
    license = LicenseFactory(workspace=owner.workspace, assignee=member)
    ActivationFactory(license=license, membership=member)
    token = AuthToken.objects.get(membership=member, revoked_at__isnull=True)
    client = client_for(owner)
    page = client.get(f"{W}/members/{member.pk}/remove/").content.decode()
    assert "license seat is freed" in page and "machines they activated are released" in page
    assert "developer auth token stops working" in page
    client.post(f"{W}/members/{member.pk}/remove/")
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert License.objects.get(pk=license.pk).assignee is None
    assert not Activation.objects.filter(license=license).exists()
    assert not AuthToken.objects.filter(pk=token.pk, revoked_at__isnull=True).exists()


def test_the_last_owner_is_not_offered_leave(owner, member):
    client = client_for(owner)
    assert f'href="{W}/settings/leave/"' not in client.get(f"{W}/members/").content.decode()
    settings_page = client.get(f"{W}/settings/").content.decode()
    assert f'href="{W}/settings/leave/"' not in settings_page and "You are the only owner" in settings_page
    assert b"Make another member an owner first" in client.get(f"{W}/settings/leave/").content
    services.membership_change_role(actor=owner, membership=member, role=Role.OWNER)
    assert f'href="{W}/settings/leave/"' in client.get(f"{W}/members/").content.decode()


def test_security_log_filter_has_a_button_and_no_autosubmit(owner):
    page = client_for(owner).get(f"{W}/security-log/").content.decode()
    assert "data-autosubmit" not in page
    assert ">Filter</button>" in page and "<noscript>" not in page


def test_members_page_says_n_of_m_seats_per_product_and_labels_odd_licenses(owner, member):
    from datetime import timedelta

    from django.utils import timezone

    from tests.licensing.factories import PolicyFactory

    policy = PolicyFactory(product__name="Emulator")
    LicenseFactory(workspace=owner.workspace, policy=policy, assignee=member)
    LicenseFactory(workspace=owner.workspace, policy=policy, status="suspended")
    LicenseFactory(workspace=owner.workspace, policy=policy, expires_at=timezone.now() - timedelta(days=1))
    LicenseFactory(workspace=owner.workspace, policy=policy, status="revoked")
    page = client_for(owner).get(f"{W}/members/").content.decode()
    assert "<strong>Emulator</strong>: 1 of 3 seats used" in page
    assert "(suspended)</option>" in page and "(expired)</option>" in page
    assert "seat-usage" not in client_for(member).get(f"{W}/members/").content.decode()
