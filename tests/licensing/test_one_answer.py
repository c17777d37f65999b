"""Issue 8's first list, one regression test per bullet: at the service level and through one door.

Each bullet was a rule living in two or three places; these pin that there is now one answer.
"""

import pytest
from django.db.models import RestrictedError
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Membership
from authtokens import services as token_services
from authtokens.models import SecurityAction, SecurityEvent
from licensing.models import Activation, License, LicenseStatus
from licensing.selectors.entitlement import (
    entitlement_is_activated,
    member_coverage,
    member_entitlement,
    token_entitlement,
)
from licensing.services import activation as activation_services
from licensing.services import licenses as license_services
from project.errors import DomainError
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("client_cache_mode")]

ACTIVATE = "/api/v1/client/activate"
INFO = "/api/v1/client/info"


@pytest.fixture
def policy():
    return PolicyFactory(
        product=ProductFactory(code="emulator"), name="Pro", max_activations=1, allow_ci=True
    )


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def activate_body(fingerprint="fp-1"):
    return {"product": "emulator", "machine": {"fingerprint": fingerprint, "name": "laptop", "platform": ""}}


# ------------------------------------------------ 1. removing a member leaves their machines on the license


def test_removing_a_member_releases_every_machine_on_their_seat_and_logs_it(workspace, admin, member, policy):
    seat = LicenseFactory(policy=policy, assignee=member)
    activation_services.license_key_activate(key=seat.plaintext_key, name="box", fingerprint="keyed-box")
    ActivationFactory(license=LicenseFactory(workspace=workspace, is_trial=True), membership=member)

    account_services.membership_remove(actor=admin, membership=member)

    seat.refresh_from_db()
    assert seat.assignee is None and not Activation.objects.exists()
    event = SecurityEvent.objects.get(action=SecurityAction.SEATS_RELEASED)
    assert event.actor == admin.user and event.workspace == workspace
    assert event.detail == f"member@acme.test: 1 seat(s) ({seat.masked_key}) and 2 machine(s) released"


def test_after_a_removal_the_next_holder_activates_through_the_api(
    api_client, client_for, workspace, admin, member, make_member, policy
):  # noqa: E501
    seat = LicenseFactory(policy=policy, assignee=member)
    activation_services.license_key_activate(key=seat.plaintext_key, name="box", fingerprint="keyed-box")
    removal = client_for(admin).delete(f"/api/v1/workspaces/acme/members/{member.pk}/")
    assert removal.status_code == 204

    newcomer = make_member(workspace, email="new@acme.test")
    license_services.license_assign(actor=admin, license=seat, membership=newcomer)
    token = token_services.developer_token_rotate(actor=newcomer).plaintext
    response = api_client.post(ACTIVATE, activate_body(), format="json", **bearer(token))
    assert response.status_code == 201, response.json()
    assert response.json()["license"]["id"] == seat.public_id


def test_leaving_and_user_deletion_release_seats_too(workspace, owner, member, make_member, policy):
    leaver_seat = LicenseFactory(policy=policy, assignee=member)
    ActivationFactory(license=leaver_seat)
    account_services.membership_remove(actor=member, membership=member)
    assert not Activation.objects.filter(license=leaver_seat).exists()

    deleted = make_member(workspace, email="gone@acme.test")
    deleted_seat = LicenseFactory(policy=policy, assignee=deleted)
    ActivationFactory(license=deleted_seat, membership=deleted)
    account_services.user_delete(user=deleted.user, actor=owner.user)
    deleted_seat.refresh_from_db()
    assert deleted_seat.assignee is None and not Activation.objects.filter(license=deleted_seat).exists()
    assert SecurityEvent.objects.filter(action=SecurityAction.SEATS_RELEASED).count() == 2


def test_deleting_a_seat_holder_past_the_services_fails_loudly(workspace, member, policy):
    seat = LicenseFactory(policy=policy, assignee=member)
    with pytest.raises(RestrictedError):
        member.user.delete()
    with pytest.raises(RestrictedError):
        Membership.objects.filter(pk=member.pk).delete()
    seat.refresh_from_db()
    assert seat.assignee == member


def test_deleting_the_workspace_still_takes_its_seats_with_it(workspace, owner, member, policy):
    LicenseFactory(policy=policy, assignee=member)
    account_services.workspace_delete(actor=owner, confirm_name=workspace.name)
    assert not License.objects.exists()


# ------------------------------------------------ 2. client/info said activated while suspended


def test_a_suspended_license_is_not_activated(member, policy):
    seat = LicenseFactory(policy=policy, assignee=member)
    ActivationFactory(license=seat, membership=member)
    license_services.license_suspend(license=seat)
    answer = member_entitlement(membership=member, product="emulator")
    assert (answer.code, answer.license, answer.usable) == ("LICENSE_SUSPENDED", seat, False)
    assert entitlement_is_activated(answer, membership=member) is False


def test_only_a_product_mismatch_names_the_product_field_when_refused(member, policy):
    """A client that highlights the named field must not blame `product` for a suspended license."""
    seat = LicenseFactory(policy=policy, assignee=member)
    license_services.license_suspend(license=seat)

    suspended = member_entitlement(membership=member, product="emulator").refusal()
    mismatch = member_entitlement(membership=member, product="another-product").refusal()

    assert (suspended.code, suspended.field) == ("LICENSE_SUSPENDED", None)
    assert (mismatch.code, mismatch.field) == ("PRODUCT_MISMATCH", "product")


def test_client_info_agrees_with_activation_about_a_suspended_license(api_client, member, policy):
    seat = LicenseFactory(policy=policy, assignee=member)
    token = token_services.developer_token_rotate(actor=member).plaintext
    assert api_client.post(ACTIVATE, activate_body(), format="json", **bearer(token)).status_code == 201
    info = api_client.get(INFO, {"product": "emulator"}, **bearer(token)).json()
    assert info["is_license_activated"] is True

    license_services.license_suspend(license=seat)
    info = api_client.get(INFO, {"product": "emulator"}, **bearer(token)).json()
    refused = api_client.post(ACTIVATE, activate_body(), format="json", **bearer(token))
    assert (info["is_license_activated"], info["license_status"]) == (False, "suspended")
    assert refused.status_code == 422 and refused.json()["code"] == "LICENSE_SUSPENDED"


# ------------------------------------------------ 3. the trial showed differently on every page


def test_the_trial_covers_every_member_in_every_answer(workspace, owner, admin, member, policy):
    trial = LicenseFactory(policy=policy, workspace=workspace, is_trial=True)
    coverage = member_coverage(workspace=workspace, memberships=[owner, admin, member])
    assert all(coverage[m.pk].trial == trial and coverage[m.pk].covered for m in (owner, admin, member))
    assert member_entitlement(membership=member).license == trial
    assert member_entitlement(membership=member).shared


def test_users_and_licenses_shows_the_trial_for_every_member(client, workspace, owner, admin, member, policy):
    LicenseFactory(policy=policy, workspace=workspace, is_trial=True)
    client.force_login(owner.user)
    page = client.get(reverse("accounts:members", kwargs={"workspace_slug": "acme"})).content.decode()
    assert page.count('data-testid="member-trial"') == 3
    assert "No license" not in page


# ------------------------------------------------ 5. a CI token took a member's machine slot


def test_a_ci_token_prefers_a_free_license_over_a_members_seat(workspace, admin, member, policy):
    members_seat = LicenseFactory(policy=policy, assignee=member)
    free = LicenseFactory(policy=policy, workspace=workspace)
    token = token_services.ci_token_create(actor=admin, name="deploy")
    answer = token_entitlement(token=token.token, product="emulator")
    assert answer.candidates == (free, members_seat)


def test_a_ci_only_policy_comes_first_and_is_never_a_members_seat(workspace, admin, member, policy):
    ci_plan = PolicyFactory(product=policy.product, name="CI", ci_only=True, allow_ci=True)
    LicenseFactory(policy=policy, workspace=workspace)
    ci_license = LicenseFactory(policy=ci_plan, workspace=workspace)
    token = token_services.ci_token_create(actor=admin, name="deploy")
    assert token_entitlement(token=token.token, product="emulator").license == ci_license
    with pytest.raises(DomainError) as refused:
        license_services.license_assign(actor=admin, license=ci_license, membership=member)
    assert refused.value.code == "LICENSE_CI_ONLY"
    LicenseFactory(policy=ci_plan, assignee=member)  # even if one were assigned past the service
    assert member_entitlement(membership=member).code == "LICENSE_NOT_ASSIGNED"


def test_a_ci_token_with_no_usable_license_is_told_about_the_best_one_not_the_first_made(
    workspace, admin, policy
):
    ci_plan = PolicyFactory(product=policy.product, name="CI", ci_only=True, allow_ci=True)
    LicenseFactory(policy=ci_plan, workspace=workspace, status=LicenseStatus.REVOKED)
    suspended = LicenseFactory(policy=policy, workspace=workspace, status=LicenseStatus.SUSPENDED)
    token = token_services.ci_token_create(actor=admin, name="deploy")
    answer = token_entitlement(token=token.token, product="emulator")
    assert (answer.code, answer.license) == ("LICENSE_SUSPENDED", suspended)


def test_a_ci_token_runs_under_the_oldest_of_equal_free_licenses(workspace, admin, policy):
    from datetime import timedelta

    from django.utils import timezone

    newer = LicenseFactory(policy=policy, workspace=workspace)
    older = LicenseFactory(policy=policy, workspace=workspace)
    License.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    token = token_services.ci_token_create(actor=admin, name="deploy")
    assert token_entitlement(token=token.token, product="emulator").candidates == (older, newer)


def test_the_members_page_lists_a_members_seats_by_product_then_newest_first(workspace, member):
    from datetime import timedelta

    from django.utils import timezone

    zeta = LicenseFactory(policy=PolicyFactory(product=ProductFactory(name="Zeta")), assignee=member)
    alpha_old = LicenseFactory(policy=PolicyFactory(product=ProductFactory(name="Alpha")), assignee=member)
    alpha_new = LicenseFactory(policy=alpha_old.policy, assignee=member)
    License.objects.filter(pk=alpha_old.pk).update(created_at=timezone.now() - timedelta(days=1))
    seats = member_coverage(workspace=workspace, memberships=[member])[member.pk].seats
    assert seats == [alpha_new, alpha_old, zeta]


def test_ci_activation_leaves_the_members_seat_alone(api_client, workspace, admin, member, policy):
    members_seat = LicenseFactory(policy=policy, assignee=member)
    free = LicenseFactory(policy=policy, workspace=workspace)
    token = token_services.ci_token_create(actor=admin, name="deploy").plaintext
    response = api_client.post(ACTIVATE, {**activate_body(), "ci": True}, format="json", **bearer(token))
    assert response.status_code == 201
    assert response.json()["license"]["id"] == free.public_id
    assert not Activation.objects.filter(license=members_seat).exists()


# ------------------------------------------------ token activation stays cheap


def test_a_repeat_token_activation_runs_at_most_4_statements(
    api_client, member, policy, django_assert_max_num_queries
):
    from licensing.certificates import certificate_verify, signing_public_key_pem

    seat = LicenseFactory(policy=policy, assignee=member)
    token = token_services.developer_token_rotate(actor=member).plaintext
    first = api_client.post(ACTIVATE, activate_body(), format="json", **bearer(token))
    assert first.status_code == 201
    with django_assert_max_num_queries(4):
        again = api_client.post(ACTIVATE, activate_body(), format="json", **bearer(token))
    assert again.status_code == 200
    assert again.json()["activation"]["id"] == first.json()["activation"]["id"]
    claims = certificate_verify(certificate=again.json()["certificate"], public_key=signing_public_key_pem())
    assert (claims["license"], claims["member"], claims["fingerprint"]) == (
        seat.public_id,
        "member@acme.test",
        "fp-1",
    )


def test_a_repeat_key_activation_runs_at_most_3_statements(
    api_client, member, policy, django_assert_max_num_queries
):
    seat = LicenseFactory(policy=policy, assignee=member)
    body = {"key": seat.plaintext_key, "name": "box", "fingerprint": "fp-1"}
    assert api_client.post("/api/v1/licenses/activate", body, format="json").status_code == 201
    with django_assert_max_num_queries(3):
        again = api_client.post("/api/v1/licenses/activate", body, format="json")
    assert again.status_code == 200 and again.json()["certificate"].startswith("cert/")


def test_a_repeat_activation_prefers_the_license_the_machine_is_on(workspace, admin, member, policy):
    older = LicenseFactory(policy=policy, workspace=workspace)
    newer = LicenseFactory(policy=policy, workspace=workspace)
    token = token_services.ci_token_create(actor=admin, name="deploy").token
    ActivationFactory(license=newer, fingerprint="fp-1")
    result = activation_services.token_activate(token=token, product="emulator", fingerprint="fp-1", ci=True)
    assert result.license == newer and not result.activation.is_new
    assert not Activation.objects.filter(license=older).exists()


def test_my_license_says_what_the_client_would(client, workspace, member, policy):
    trial = LicenseFactory(policy=policy, workspace=workspace, is_trial=True)
    client.force_login(member.user)
    url = reverse("licensing:my_license", kwargs={"workspace_slug": "acme"})
    page = client.get(url).content.decode()
    assert f"under {trial.masked_key}, the workspace trial that covers every member." in page
    License.objects.filter(pk=trial.pk).update(status=LicenseStatus.SUSPENDED)
    assert "The license is suspended; ask the vendor to reinstate it." in client.get(url).content.decode()


def test_a_trial_assigned_to_one_member_is_not_the_workspace_trial_on_the_members_page(
    workspace, owner, member
):
    own_trial = LicenseFactory(workspace=workspace, is_trial=True, assignee=member)
    coverage = member_coverage(workspace=workspace, memberships=[owner, member])
    assert coverage[owner.pk].trial is None and not coverage[owner.pk].covered
    assert coverage[member.pk].seats == [own_trial]
