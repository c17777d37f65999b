"""Activation with an auth token (the LocalStack flow): POST /api/v1/client/activate, GET /client/info."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Role
from authtokens import services as token_services
from licensing.certificates import certificate_verify, signing_public_key_pem
from licensing.models import Activation, License, LicenseStatus
from tests.factories import UserFactory
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

ACTIVATE = "/api/v1/client/activate"
INFO = "/api/v1/client/info"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("client_cache_mode")]


@pytest.fixture
def product():
    return ProductFactory(code="emulator", name="Emulator")


@pytest.fixture
def policy(product):
    return PolicyFactory(product=product, name="Pro", max_activations=2, allow_ci=True)


def developer_token(membership) -> str:
    return token_services.developer_token_rotate(actor=membership).plaintext


def ci_token(admin, name="deploy") -> str:
    return token_services.ci_token_create(actor=admin, name=name).plaintext


def activate(api_client, token, product="emulator", fingerprint="fp-1", **extra):
    body = {
        "product": product,
        "machine": {"fingerprint": fingerprint, "name": "laptop", "platform": "linux"},
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return api_client.post(ACTIVATE, {**body, **extra}, format="json", **headers)


# ---------------------------------------------------------------- developer token


def test_a_member_with_an_assigned_license_activates(api_client, member, policy):
    license = LicenseFactory(policy=policy, assignee=member)

    response = activate(api_client, developer_token(member))

    assert response.status_code == 201
    body = response.json()
    assert body["activated"] is True
    assert body["license"]["id"] == license.public_id
    assert body["license"]["plan"] == "Pro"
    assert body["workspace"] == {"slug": "acme", "name": "Acme"}
    assert body["member"]["email"] == "member@acme.test"
    activation = Activation.objects.get(license=license)
    assert activation.membership == member
    assert body["activation"]["id"] == activation.public_id
    claims = certificate_verify(certificate=body["certificate"], public_key=signing_public_key_pem())
    assert claims["fingerprint"] == "fp-1"
    assert claims["member"] == "member@acme.test"
    assert parse_datetime(body["expires_at"]).timestamp() == claims["expires_at"]  # the certificate's expiry


def test_activating_again_returns_the_same_machine(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member)
    token = developer_token(member)

    first = activate(api_client, token)
    second = activate(api_client, token)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["activation"]["id"] == second.json()["activation"]["id"]
    assert Activation.objects.count() == 1


def test_the_use_is_recorded_on_the_token(api_client, member, policy, flush_counts):
    from authtokens.models import TokenUsageDay

    LicenseFactory(policy=policy, assignee=member)
    activate(api_client, developer_token(member))
    flush_counts()

    assert TokenUsageDay.objects.get(token__membership=member).uses == 1


def test_token_missing(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member)

    response = activate(api_client, None)

    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_MISSING"
    assert "Authorization: Bearer" in response.json()["message"]
    assert not Activation.objects.exists()


@pytest.mark.parametrize("header", ["Bearer kw_dev_nope", "Bearer " + "kw_dev_" + "a" * 36, "Bearer"])
def test_token_invalid(api_client, header):
    response = api_client.post(
        ACTIVATE,
        {"product": "emulator", "machine": {"fingerprint": "x"}},
        format="json",
        HTTP_AUTHORIZATION=header,
    )

    assert response.status_code == 401
    assert response.json()["code"] in ("TOKEN_INVALID", "TOKEN_MISSING")
    if header != "Bearer":
        assert response.json()["code"] == "TOKEN_INVALID"


def test_a_rotated_token_is_invalid(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member)
    old = developer_token(member)
    developer_token(member)

    response = activate(api_client, old)

    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_INVALID"


def test_legacy_token_sunset(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member)
    token = developer_token(member)
    staff = UserFactory(is_staff=True)
    token_services.token_mark_legacy(
        token=_dev_token_of(member), sunset_at=timezone.now() - timedelta(days=1), staff_user=staff
    )

    response = activate(api_client, token)

    assert response.status_code == 401
    assert response.json()["code"] == "LEGACY_TOKEN_SUNSET"
    assert not Activation.objects.exists()


def test_a_legacy_token_before_its_sunset_works_with_a_deprecation_warning(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member)
    token = developer_token(member)
    token_services.token_mark_legacy(
        token=_dev_token_of(member),
        sunset_at=timezone.now() + timedelta(days=30),
        staff_user=UserFactory(is_staff=True),
    )

    response = activate(api_client, token)

    assert response.status_code == 201
    assert "Sunset" in response.headers
    assert "legacy" in response.headers["Warning"]


def _dev_token_of(membership):
    from authtokens.models import AuthToken

    return AuthToken.objects.get(membership=membership, kind="developer")


def test_developer_token_in_ci(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member)

    response = activate(api_client, developer_token(member), ci=True)

    assert response.status_code == 403
    assert response.json()["code"] == "DEVELOPER_TOKEN_IN_CI"
    assert "CI auth token" in response.json()["message"]
    assert not Activation.objects.exists()


def test_license_not_assigned(api_client, member, admin, policy):
    LicenseFactory(policy=policy, workspace=member.workspace, assignee=admin)

    response = activate(api_client, developer_token(member))

    assert response.status_code == 422
    assert response.json()["code"] == "LICENSE_NOT_ASSIGNED"
    assert "workspace admin" in response.json()["message"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": LicenseStatus.SUSPENDED}, "LICENSE_SUSPENDED"),
        ({"status": LicenseStatus.REVOKED}, "LICENSE_REVOKED"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "LICENSE_EXPIRED"),
    ],
)
def test_a_license_that_is_not_active_is_refused(api_client, member, policy, changes, code):
    license = LicenseFactory(policy=policy, assignee=member)
    License.objects.filter(pk=license.pk).update(**changes)

    response = activate(api_client, developer_token(member))

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert not Activation.objects.exists()


def test_activation_limit_reached(api_client, member, policy):
    license = LicenseFactory(policy=policy, assignee=member)
    ActivationFactory.create_batch(2, license=license)

    response = activate(api_client, developer_token(member))

    assert response.status_code == 422
    assert response.json()["code"] == "ACTIVATION_LIMIT_REACHED"
    assert license.activations.count() == 2


def test_product_mismatch(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member)

    response = activate(api_client, developer_token(member), product="other-app")

    assert response.status_code == 422
    assert response.json()["code"] == "PRODUCT_MISMATCH"
    assert "emulator" in response.json()["message"]


def test_with_two_licenses_the_one_for_the_product_is_used(api_client, member, policy):
    LicenseFactory(policy=PolicyFactory(product__code="desktop"), assignee=member)
    wanted = LicenseFactory(policy=policy, assignee=member)

    response = activate(api_client, developer_token(member))

    assert response.json()["license"]["id"] == wanted.public_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"machine": {"fingerprint": "x"}}, "product"),
        ({"product": 3, "machine": {"fingerprint": "x"}}, "product"),
        ({"product": "emulator"}, "machine"),
        ({"product": "emulator", "machine": "x"}, "machine"),
        ({"product": "emulator", "machine": {}}, "machine.fingerprint"),
        ({"product": "emulator", "machine": {"fingerprint": "f" * 256}}, "machine.fingerprint"),
        ({"product": "emulator", "machine": {"fingerprint": "x", "name": 4}}, "machine.name"),
        ({"product": "emulator", "machine": {"fingerprint": "x"}, "ci": "yes"}, "ci"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(api_client, member, policy, body, field):
    LicenseFactory(policy=policy, assignee=member)

    response = api_client.post(
        ACTIVATE, body, format="json", HTTP_AUTHORIZATION=f"Bearer {developer_token(member)}"
    )

    assert response.status_code == 400
    assert any(name == field or name.startswith(f"{field}.") for name in response.json()["fields"])
    assert not Activation.objects.exists()


# ---------------------------------------------------------------- CI token


def test_a_ci_token_activates_any_active_license_whose_policy_allows_ci(api_client, admin, member, policy):
    ci_policy_license = LicenseFactory(policy=policy, workspace=admin.workspace)

    response = activate(api_client, ci_token(admin), ci=True, fingerprint="runner-1")

    assert response.status_code == 201
    assert response.json()["license"]["id"] == ci_policy_license.public_id
    assert response.json()["member"] is None
    assert Activation.objects.get().membership is None


def test_a_ci_token_skips_licenses_that_do_not_allow_ci_or_are_full(api_client, admin, product, policy):
    LicenseFactory(policy=PolicyFactory(product=product, allow_ci=False), workspace=admin.workspace)
    full = LicenseFactory(policy=policy, workspace=admin.workspace)
    ActivationFactory.create_batch(2, license=full)
    free = LicenseFactory(policy=policy, workspace=admin.workspace)

    response = activate(api_client, ci_token(admin), ci=True)

    assert response.status_code == 201
    assert response.json()["license"]["id"] == free.public_id


def test_a_ci_token_without_a_ci_license(api_client, admin, product):
    LicenseFactory(policy=PolicyFactory(product=product, allow_ci=False), workspace=admin.workspace)

    response = activate(api_client, ci_token(admin), ci=True)

    assert response.status_code == 422
    assert response.json()["code"] == "LICENSE_NOT_ASSIGNED"
    assert "allows CI" in response.json()["message"]


def test_a_ci_token_never_uses_another_workspaces_license(api_client, admin, outsider, policy):
    LicenseFactory(policy=policy, workspace=outsider.workspace)

    response = activate(api_client, ci_token(admin), ci=True)

    assert response.status_code == 422
    assert response.json()["code"] == "LICENSE_NOT_ASSIGNED"
    assert not Activation.objects.exists()


def test_a_ci_token_when_every_ci_license_is_full(api_client, admin, policy):
    full = LicenseFactory(policy=policy, workspace=admin.workspace)
    ActivationFactory.create_batch(2, license=full)

    response = activate(api_client, ci_token(admin), ci=True)

    assert response.status_code == 422
    assert response.json()["code"] == "ACTIVATION_LIMIT_REACHED"


def test_a_ci_token_with_only_suspended_licenses(api_client, admin, policy):
    LicenseFactory(policy=policy, workspace=admin.workspace, status=LicenseStatus.SUSPENDED)

    response = activate(api_client, ci_token(admin), ci=True)

    assert response.json()["code"] == "LICENSE_SUSPENDED"


# ---------------------------------------------------------------- info


def test_info_for_a_member(api_client, member, policy):
    license = LicenseFactory(policy=policy, assignee=member)
    token = developer_token(member)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    before = api_client.get(INFO, **headers).json()
    activate(api_client, token)
    after = api_client.get(INFO, {"product": "emulator"}, **headers).json()

    assert before["edition"] == {"product": "emulator", "product_name": "Emulator", "plan": "Pro"}
    assert before["is_license_activated"] is False
    assert before["license_status"] == "active"
    assert before["license_expires_at"] is not None
    assert before["license"]["id"] == license.public_id
    assert before["member"]["email"] == "member@acme.test"
    assert before["token"]["kind"] == "developer"
    assert after["is_license_activated"] is True
    other_machine = api_client.get(INFO, {"fingerprint": "another"}, **headers).json()
    assert other_machine["is_license_activated"] is False


def test_info_shows_an_expired_license(api_client, member, policy):
    LicenseFactory(policy=policy, assignee=member, expires_at=timezone.now() - timedelta(days=1))

    body = api_client.get(INFO, HTTP_AUTHORIZATION=f"Bearer {developer_token(member)}").json()

    assert body["license_status"] == "expired"


def test_info_without_a_license(api_client, member):
    body = api_client.get(INFO, HTTP_AUTHORIZATION=f"Bearer {developer_token(member)}").json()

    assert body["edition"] is None
    assert body["license"] is None
    assert body["is_license_activated"] is False


def test_info_for_a_ci_token(api_client, admin, policy):
    LicenseFactory(policy=policy, workspace=admin.workspace)

    body = api_client.get(INFO, HTTP_AUTHORIZATION=f"Bearer {ci_token(admin)}").json()

    assert body["token"]["kind"] == "ci"
    assert body["member"] is None
    assert body["edition"]["plan"] == "Pro"


def test_info_needs_a_token(api_client):
    response = api_client.get(INFO)

    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_MISSING"


def test_info_rejects_a_bad_query(api_client, member):
    response = api_client.get(
        INFO, {"product": "p" * 51}, HTTP_AUTHORIZATION=f"Bearer {developer_token(member)}"
    )

    assert response.status_code == 400
    assert "product" in response.json()["fields"]


def test_a_removed_member_cannot_activate(api_client, owner, member, policy):
    from accounts.services import membership_remove

    LicenseFactory(policy=policy, assignee=member)
    token = developer_token(member)
    membership_remove(actor=owner, membership=member)

    response = activate(api_client, token)

    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_INVALID"


def test_roles_do_not_matter_for_activation(api_client, make_member, workspace, policy):
    owner = make_member(workspace, Role.OWNER)
    LicenseFactory(policy=policy, assignee=owner)

    assert activate(api_client, developer_token(owner)).status_code == 201


def test_a_member_without_a_seat_activates_under_the_workspace_trial(api_client, member, product):
    from licensing.services.licenses import workspace_trial_start

    PolicyFactory(product=product, name="Trial", trial_available=True, max_activations=None)
    trial = workspace_trial_start(actor=member)

    response = activate(api_client, developer_token(member))

    assert response.status_code == 201, response.json()
    assert response.json()["license"]["id"] == trial.public_id
    assert Activation.objects.get(license=trial).membership == member


def test_an_assigned_seat_wins_over_the_workspace_trial(api_client, member, product, policy):
    from licensing.services.licenses import workspace_trial_start

    PolicyFactory(product=product, name="Trial", trial_available=True)
    workspace_trial_start(actor=member)
    seat = LicenseFactory(policy=policy, assignee=member)

    response = activate(api_client, developer_token(member))

    assert response.json()["license"]["id"] == seat.public_id


def test_of_two_equal_seats_a_member_runs_under_the_newest(api_client, member, policy):
    older = LicenseFactory(policy=policy, assignee=member)
    newer = LicenseFactory(policy=policy, assignee=member)
    License.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))

    response = activate(api_client, developer_token(member))

    assert response.json()["license"]["id"] == newer.public_id


# ---------------------------------------------------------------- info: is the license activated


def test_info_counts_only_the_members_own_machines_on_a_shared_trial(
    api_client, make_member, workspace, member, product
):
    """The trial covers every member: a colleague's machine on it does not make this member activated."""
    from licensing.services.licenses import workspace_trial_start

    colleague = make_member(workspace, email="colleague@acme.test")
    PolicyFactory(product=product, name="Trial", trial_available=True, max_activations=None)
    workspace_trial_start(actor=member)
    assert activate(api_client, developer_token(colleague), fingerprint="colleague-box").status_code == 201
    token = developer_token(member)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    before = api_client.get(INFO, {"product": "emulator"}, **headers).json()
    assert activate(api_client, token, fingerprint="my-box").status_code == 201
    after = api_client.get(INFO, {"product": "emulator"}, **headers).json()
    this_machine = api_client.get(INFO, {"product": "emulator", "fingerprint": "my-box"}, **headers).json()

    assert (before["is_license_activated"], after["is_license_activated"]) == (False, True)
    assert this_machine["is_license_activated"] is True


def test_info_for_a_ci_token_counts_any_machine_on_its_license(api_client, admin, member, policy):
    """A CI token has no machines of its own: the license it runs under is activated if any machine is on
    it, even a member's (a member's seat is a CI token's last resort)."""
    LicenseFactory(policy=policy, assignee=member)
    ci = ci_token(admin)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {ci}"}

    before = api_client.get(INFO, **headers).json()
    assert activate(api_client, developer_token(member)).status_code == 201
    after = api_client.get(INFO, **headers).json()

    assert (before["is_license_activated"], after["is_license_activated"]) == (False, True)


def certificate_member(response):
    return certificate_verify(
        certificate=response.json()["certificate"], public_key=signing_public_key_pem()
    )["member"]


def test_activating_again_under_the_workspace_trial_still_names_the_member(api_client, member, product):
    from licensing.services.licenses import workspace_trial_start

    PolicyFactory(product=product, name="Trial", trial_available=True, max_activations=None)
    workspace_trial_start(actor=member)
    token = developer_token(member)

    first, again = activate(api_client, token), activate(api_client, token)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["activation"]["id"] == first.json()["activation"]["id"]
    assert certificate_member(first) == certificate_member(again) == "member@acme.test"


def test_a_seat_machine_first_activated_with_the_key_is_certified_for_the_seat_holder(
    api_client, member, policy
):
    """The machine was activated with the license key (no member recorded); the holder's developer token
    then gets that same machine, and its certificate names the holder."""
    seat = LicenseFactory(policy=policy, assignee=member)
    by_key = api_client.post(
        "/api/v1/licenses/activate", {"key": seat.plaintext_key, "fingerprint": "fp-1"}, format="json"
    )
    assert by_key.status_code == 201

    response = activate(api_client, developer_token(member))

    assert response.status_code == 200
    assert response.json()["activation"]["id"] == by_key.json()["activation"]["id"]
    assert certificate_member(response) == "member@acme.test"
    assert Activation.objects.get().membership is None
