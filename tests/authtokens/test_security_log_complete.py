"""The security log records every security-relevant change in a workspace, not only token events:
who (actor), from where (the request's IP), when, and to what (the target in `detail`)."""

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from authtokens.models import SecurityAction, SecurityEvent
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory

pytestmark = pytest.mark.django_db

W = "/api/v1/workspaces/acme"
IP = "203.0.113.77"


def client_for(membership) -> APIClient:
    client = APIClient(REMOTE_ADDR=IP)
    client.force_authenticate(user=membership.user)
    return client


def last(action) -> SecurityEvent:
    event = SecurityEvent.objects.filter(action=action).order_by("-id").first()
    assert event is not None, f"no {action} event"
    return event


def assert_event(action, actor, *target_parts):
    event = last(action)
    assert event.actor == actor.user and event.actor_label == actor.user.email
    assert event.ip == IP and event.created_at is not None
    for part in target_parts:
        assert part in event.detail, (part, event.detail)
    return event


def test_member_and_invitation_changes_are_logged(owner, member, other_workspace, make_member):
    client = client_for(owner)
    client.patch(f"{W}/members/{member.pk}/", {"role": "admin"}, format="json")
    assert_event(SecurityAction.ROLE_CHANGED, owner, member.user.email, "Member", "Admin")
    client.patch(f"{W}/members/{member.pk}/", {"permissions": {"manage_licenses": False}}, format="json")
    client.patch(f"{W}/members/{member.pk}/", {"permissions": {"manage_licenses": True}}, format="json")
    assert_event(SecurityAction.PERMISSIONS_CHANGED, owner, member.user.email, "manage_licenses on")

    created = client.post(f"{W}/invitations/", {"email": "new@example.com"}, format="json").json()
    assert_event(SecurityAction.INVITATION_SENT, owner, "new@example.com")
    client.post(f"{W}/invitations/{created['id']}/resend/")
    assert_event(SecurityAction.INVITATION_RESENT, owner, "new@example.com")
    client.post(f"{W}/invitations/{created['id']}/revoke/")
    assert_event(SecurityAction.INVITATION_REVOKED, owner, "new@example.com")

    client.delete(f"{W}/members/{member.pk}/")
    assert_event(SecurityAction.MEMBER_REMOVED, owner, member.user.email, "removed")


def test_accepting_an_invitation_logs_acceptance_and_the_new_member(owner, django_user_model):
    invitation = account_services.membership_invite(actor=owner, email="joiner@example.com")
    user = django_user_model.objects.create_user(email="joiner@example.com", password="x" * 20)
    user.email_verified = True
    user.save()
    client = APIClient(REMOTE_ADDR=IP)
    client.force_authenticate(user=user)
    assert client.post(f"/api/v1/invitations/{invitation.key}/accept/").status_code == 201
    for action in (SecurityAction.INVITATION_ACCEPTED, SecurityAction.MEMBER_ADDED):
        event = last(action)
        assert event.actor == user and event.ip == IP and "joiner@example.com" in event.detail


def test_seats_machines_renames_and_trials_are_logged(owner, member):
    client = client_for(owner)
    license = LicenseFactory(workspace=owner.workspace)
    client.post(f"{W}/licenses/{license.public_id}/assign/", {"member": member.pk}, format="json")
    assert_event(SecurityAction.SEAT_ASSIGNED, owner, license.masked_key, member.user.email)
    activation = ActivationFactory(license=license, membership=member, name="lab-pc")
    client.delete(f"{W}/licenses/{license.public_id}/activations/{activation.public_id}/")
    assert_event(SecurityAction.MACHINE_DEACTIVATED, owner, "lab-pc", activation.public_id)
    client.post(f"{W}/licenses/{license.public_id}/unassign/")
    assert_event(SecurityAction.SEAT_UNASSIGNED, owner, license.masked_key, member.user.email)
    client.patch(f"{W}/", {"name": "Acme Labs"}, format="json")
    assert_event(SecurityAction.WORKSPACE_RENAMED, owner, "Acme", "Acme Labs")


def test_starting_the_trial_is_logged(owner, workspace):
    PolicyFactory(trial_available=True, trial_days=14)
    assert client_for(owner).post(f"{W}/licenses/trial/").status_code == 201
    assert_event(SecurityAction.TRIAL_STARTED, owner, "14 days")


def test_no_door_edits_or_deletes_entries(owner, admin_client):
    client_for(owner).patch(f"{W}/", {"name": "Acme Labs"}, format="json")
    event = last(SecurityAction.WORKSPACE_RENAMED)
    assert (
        admin_client.post(f"/admin/authtokens/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (
        admin_client.post(f"/admin/authtokens/securityevent/{event.pk}/change/", {"detail": "x"}).status_code
        == 403
    )
    assert client_for(owner).delete(f"{W}/security-log/").status_code == 405
    event.refresh_from_db()
    assert "Acme Labs" in event.detail


def dashboard(membership):
    from django.test import Client

    client = Client()
    client.force_login(membership.user)
    return client


def test_the_dashboard_log_filters_by_action_actor_and_dates_and_exports_csv(owner, admin, member):
    from datetime import timedelta

    from django.utils import timezone

    account_services.membership_change_role(actor=owner, membership=member, role="admin")
    invitation = account_services.membership_invite(actor=admin, email="new@example.com")
    from authtokens.services import ci_token_create

    ci_token_create(actor=owner, name="=HYPERLINK(1)")
    old = account_services.membership_invite(actor=owner, email="old@example.com")
    SecurityEvent.objects.filter(detail__startswith="old@").update(
        created_at=timezone.now() - timedelta(days=40)
    )
    client = dashboard(owner)
    url = "/w/acme/security-log/"

    by_action = client.get(url, {"action": "role_changed"}).content.decode()
    assert member.user.email in by_action and "Invitation sent" not in by_action.split("<tbody>")[1]
    by_actor = client.get(url, {"actor": admin.user.email}).content.decode().split("<tbody>")[1]
    assert "Invitation sent" in by_actor and "Role changed" not in by_actor
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    recent = client.get(url, {"since": since}).content.decode().split("<tbody>")[1]
    assert "old@example.com" not in recent and "Role changed" in recent
    page = client.get(url).content.decode()
    assert "Times are in UTC" in page and "Export CSV" in page
    assert client.get(url, {"since": "not-a-date", "actor": "a\x00b"}).status_code in (200, 400)

    export = client.get(url, {"action": "invitation_sent", "export": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    rows = export.content.decode().splitlines()
    assert rows[0].startswith("time (UTC),action,actor,ip")
    assert len(rows) == 3  # header, two invitations sent
    tokens = client.get(url, {"action": "token_created", "export": "csv"}).content.decode()
    assert ",'=HYPERLINK(1)," in tokens, "a formula-looking cell is neutralised"
    assert invitation and old


def test_members_cannot_read_or_export_the_log(member):
    response = dashboard(member).get("/w/acme/security-log/", {"export": "csv"})
    assert response.status_code in (403, 404)
