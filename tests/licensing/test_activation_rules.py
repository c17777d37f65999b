"""Rules of licensing.services.activation that hold whatever door calls the service.

The DRF serializers check lengths and blanks too, but the Dodo compat layer, admin and management
commands call the services directly, so each limit is tested here at its exact edge.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from licensing.certificates import certificate_verify, signing_public_key_pem
from licensing.models import Activation, LicenseStatus
from licensing.services import activation as service
from project.errors import DomainError, ErrorKind
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("client_cache_mode")]

ACTIVATE = "/api/v1/licenses/activate"


@pytest.fixture
def product():
    return ProductFactory(code="emulator", name="Emulator")


@pytest.fixture
def policy(product):
    return PolicyFactory(product=product, name="Pro", max_activations=2, allow_ci=True)


@pytest.fixture
def license(policy, workspace):
    return LicenseFactory(policy=policy, workspace=workspace)


def error_of(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def activate(license, **overrides):
    arguments = {"key": license.plaintext_key, "name": "laptop", "fingerprint": "fp-1", **overrides}
    return service.license_key_activate(**arguments)


# ---------------------------------------------------------------- length limits, at the edge


@pytest.mark.parametrize(
    "field, limit, label",
    [("fingerprint", 255, "machine fingerprint"), ("name", 150, "name"), ("platform", 100, "platform")],
)
def test_activation_text_fits_its_limit_exactly(license, field, limit, label):
    activation = activate(license, **{field: "x" * limit})
    assert getattr(Activation.objects.get(pk=activation.pk), field) == "x" * limit

    too_long = {"fingerprint": "fp-2", field: "y" * (limit + 1)}
    error = error_of(activate, license=license, **too_long)
    assert (error.code, error.field, error.kind) == ("INVALID", field, ErrorKind.INVALID)
    assert error.message == f"Keep the {label} to {limit} characters."
    assert Activation.objects.count() == 1


def test_a_product_code_fits_50_characters(license):
    error = error_of(activate, license=license, product="p" * 51)
    assert (error.code, error.field) == ("INVALID", "product")
    assert error.message == "Keep the product to 50 characters."
    # 50 is allowed: the answer is about the product, not its length.
    assert error_of(activate, license=license, product="p" * 50).code == "PRODUCT_MISMATCH"


def test_an_activation_id_fits_32_characters(license):
    machine = ActivationFactory(license=license, fingerprint="fp-1")

    for call in (
        lambda activation_id: service.license_key_validate(
            key=license.plaintext_key, activation_id=activation_id
        ),
        lambda activation_id: service.license_key_deactivate(
            key=license.plaintext_key, activation_id=activation_id
        ),
        lambda activation_id: service.activation_heartbeat(activation_id=activation_id),
    ):
        with pytest.raises(DomainError) as caught:
            call("a" * 33)
        assert (caught.value.code, caught.value.field) == ("INVALID", "activation_id")
        assert caught.value.message == "Keep the activation id to 32 characters."
        # 32 characters is a well-formed id, just not a known one.
        try:
            result = call("a" * 32)
        except DomainError as error:
            assert error.code == "NOT_FOUND"
        else:
            assert result.code == "NOT_ACTIVATED"
    assert Activation.objects.filter(pk=machine.pk).exists()


def test_a_machine_rename_fits_150_characters(license):
    machine = ActivationFactory(license=license)
    assert service.activation_update(activation=machine, name="n" * 150).name == "n" * 150
    error = error_of(service.activation_update, activation=machine, name="n" * 151)
    assert (error.code, error.field) == ("INVALID", "name")


# ---------------------------------------------------------------- inputs the serializers also check


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_blank_fingerprint_is_refused_and_nothing_stored(license, blank):
    error = error_of(activate, license=license, fingerprint=blank)

    assert (error.code, error.field) == ("INVALID", "fingerprint")
    assert error.message == "Send the machine fingerprint; it cannot be blank."
    assert not Activation.objects.exists()


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_blank_key_is_malformed_input_not_an_unknown_key(blank):
    for call in (
        lambda: service.license_key_validate(key=blank),
        lambda: service.license_key_activate(key=blank, name="", fingerprint="fp-1"),
        lambda: service.license_key_deactivate(key=blank, activation_id="act_x"),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert (caught.value.code, caught.value.field) == ("INVALID", "key")
        assert caught.value.message == "Send the license key; it cannot be blank."


@pytest.mark.parametrize("wrong", [42, ["KEY"], {"k": "v"}, 1.5])
def test_text_that_is_not_a_string_is_refused_naming_the_field(license, wrong):
    error = error_of(activate, license=license, name=wrong)
    assert (error.code, error.field, error.message) == ("INVALID", "name", "The name must be a string.")
    error = error_of(service.license_key_validate, key=wrong)
    assert (error.code, error.field, error.message) == ("INVALID", "key", "The license key must be a string.")


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_a_blank_product_means_any_product(license, blank):
    result = service.license_key_validate(key=license.plaintext_key, product=blank)
    assert (result.valid, result.code) == (True, "VALID")
    assert activate(license, product=blank).is_new is True


def test_input_is_trimmed_before_it_is_stored(license):
    activation = activate(license, fingerprint="  fp-9  ", name=" laptop ", platform=" linux ")
    activation.refresh_from_db()
    assert (activation.fingerprint, activation.name, activation.platform) == ("fp-9", "laptop", "linux")
    assert activate(license, fingerprint="fp-9").pk == activation.pk


# ---------------------------------------------------------------- answers


def test_the_product_mismatch_names_both_products(license):
    result = service.license_key_validate(key=license.plaintext_key, product="other")
    assert (result.valid, result.code) == (False, "PRODUCT_MISMATCH")
    assert result.message == "This license is for emulator, not other; use a license for other."

    error = error_of(activate, license=license, product="other")
    assert (error.code, error.field, error.kind) == ("PRODUCT_MISMATCH", "product", ErrorKind.UNPROCESSABLE)
    assert error.message == result.message


def test_an_unknown_key_is_not_found_naming_the_key():
    result = service.license_key_validate(key="KW-NOPE-NOPE")
    assert (result.valid, result.code, result.license) == (False, "NOT_FOUND", None)
    assert result.message == "No license has this key; check the key for typos."

    error = error_of(service.license_key_activate, key="KW-NOPE-NOPE", name="", fingerprint="fp")
    assert (error.code, error.field, error.kind) == ("NOT_FOUND", "key", ErrorKind.NOT_FOUND)
    assert error.message == result.message


@pytest.mark.parametrize(
    "status, code, message",
    [
        (LicenseStatus.SUSPENDED, "SUSPENDED", "The license is suspended; ask the vendor to reinstate it."),
        (LicenseStatus.REVOKED, "REVOKED", "The license has been revoked; get a new license to continue."),
    ],
)
def test_validation_of_a_license_that_is_not_active(license, status, code, message):
    license.status = status
    license.save()
    result = service.license_key_validate(key=license.plaintext_key)
    assert (result.valid, result.code, result.message) == (False, code, message)

    error = error_of(activate, license=license)
    assert (error.code, error.message) == (f"LICENSE_{code}", message)
    assert not Activation.objects.exists()


def test_an_expired_license_validates_as_expired_and_refuses_activation(license):
    license.expires_at = timezone.now() - timedelta(seconds=1)
    license.save()
    result = service.license_key_validate(key=license.plaintext_key)
    assert (result.valid, result.code) == (False, "EXPIRED")
    assert result.message == "The license has expired; renew it to continue."
    assert error_of(activate, license=license).code == "LICENSE_EXPIRED"


def test_validation_knows_whether_this_machine_is_activated(license):
    machine = ActivationFactory(license=license, fingerprint="fp-1")

    by_fingerprint = service.license_key_validate(key=license.plaintext_key, fingerprint="fp-1")
    assert (by_fingerprint.valid, by_fingerprint.activation) == (True, machine)
    assert by_fingerprint.message == "The license is valid."

    stranger = service.license_key_validate(key=license.plaintext_key, fingerprint="fp-other")
    assert (stranger.valid, stranger.code) == (False, "NOT_ACTIVATED")
    assert stranger.message == "This machine is not activated for the license; activate it first."

    by_id = service.license_key_validate(key=license.plaintext_key, activation_id=machine.public_id)
    assert (by_id.valid, by_id.activation) == (True, machine)


def test_the_activation_limit_counts_machines_and_says_how_to_free_one(license):
    activate(license, fingerprint="fp-1")
    activate(license, fingerprint="fp-2")
    assert activate(license, fingerprint="fp-1").is_new is False  # a known machine takes no seat

    error = error_of(activate, license=license, fingerprint="fp-3")
    assert (error.code, error.kind) == ("ACTIVATION_LIMIT_REACHED", ErrorKind.UNPROCESSABLE)
    assert error.message == (
        "This license is already activated on 2 of 2 machines; deactivate one to free a seat."
    )
    assert Activation.objects.count() == 2


def test_a_new_activation_records_the_machine(license):
    before = timezone.now()
    activation = activate(license, fingerprint="fp-1", name="laptop", platform="linux")

    stored = Activation.objects.get(pk=activation.pk)
    assert activation.is_new is True
    assert activation.license == license
    assert stored.public_id.startswith("act_")
    assert (stored.fingerprint, stored.name, stored.platform, stored.membership) == (
        "fp-1",
        "laptop",
        "linux",
        None,
    )
    assert before <= stored.last_heartbeat_at <= timezone.now()


def test_deactivating_an_unknown_machine_names_the_activation_id(license):
    error = error_of(service.license_key_deactivate, key=license.plaintext_key, activation_id="act_unknown")
    assert (error.code, error.field, error.kind) == ("NOT_FOUND", "activation_id", ErrorKind.NOT_FOUND)
    assert (
        error.message == "This license has no machine with that activation id; it may already be deactivated."
    )
    error = error_of(service.license_key_deactivate, key="KW-NOPE", activation_id="act_unknown")
    assert (error.code, error.field) == ("NOT_FOUND", "key")


def test_a_heartbeat_for_a_released_machine_says_to_activate_again():
    error = error_of(service.activation_heartbeat, activation_id="act_gone")
    assert (error.code, error.field, error.kind) == ("NOT_FOUND", "activation_id", ErrorKind.NOT_FOUND)
    assert (
        error.message == "No machine has this activation id; it may have been released, so activate it again."
    )


def test_a_heartbeat_is_stored(license):
    machine = ActivationFactory(license=license, last_heartbeat_at=timezone.now() - timedelta(hours=1))
    before = timezone.now()
    service.activation_heartbeat(activation_id=machine.public_id)
    machine.refresh_from_db()
    assert machine.last_heartbeat_at >= before


# ---------------------------------------------------------------- token activation


def _developer_token(membership):
    return membership.auth_tokens.get(kind="developer", revoked_at__isnull=True)


def test_token_activation_returns_an_aware_utc_expiry_matching_the_certificate(member, policy):
    LicenseFactory(policy=policy, assignee=member)

    result = service.token_activate(token=_developer_token(member), product="emulator", fingerprint="fp-1")

    claims = certificate_verify(certificate=result.certificate, public_key=signing_public_key_pem())
    assert result.certificate_expires_at.tzinfo is not None
    assert result.certificate_expires_at.utcoffset() == timedelta(0)
    assert result.certificate_expires_at == datetime.fromtimestamp(claims["expires_at"], tz=UTC)
    assert result.activation.membership == member
    assert result.token == _developer_token(member)
    again = service.token_activate(token=_developer_token(member), product="emulator", fingerprint="fp-1")
    assert (again.activation.pk, again.activation.is_new, again.token) == (
        result.activation.pk,
        False,
        result.token,
    )


def test_token_activation_checks_its_input_like_every_door(member, policy):
    LicenseFactory(policy=policy, assignee=member)
    token = _developer_token(member)

    cases = [
        ({"product": ""}, "product", "Send the product; it cannot be blank."),
        ({"fingerprint": " "}, "machine.fingerprint", "Send the machine fingerprint; it cannot be blank."),
        (
            {"fingerprint": "f" * 256},
            "machine.fingerprint",
            "Keep the machine fingerprint to 255 characters.",
        ),
        ({"name": "n" * 151}, "machine.name", "Keep the machine name to 150 characters."),
        ({"platform": "p" * 101}, "machine.platform", "Keep the platform to 100 characters."),
    ]
    for overrides, field, message in cases:
        arguments = {"token": token, "product": "emulator", "fingerprint": "fp-1", **overrides}
        error = error_of(service.token_activate, **arguments)
        assert (error.code, error.field, error.message) == ("INVALID", field, message)
    assert not Activation.objects.exists()


def test_a_developer_token_in_ci_is_refused(member, policy):
    LicenseFactory(policy=policy, assignee=member)
    error = error_of(
        service.token_activate, token=_developer_token(member), product="emulator", fingerprint="fp", ci=True
    )
    assert (error.code, error.kind) == ("DEVELOPER_TOKEN_IN_CI", ErrorKind.FORBIDDEN)
    assert error.message == (
        "Developer auth tokens cannot activate in CI; create a CI auth token in your workspace and use it."
    )


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_a_heartbeat_or_deactivation_without_an_activation_id_is_malformed(license, blank):
    ActivationFactory(license=license)
    for call in (
        lambda: service.activation_heartbeat(activation_id=blank),
        lambda: service.license_key_deactivate(key=license.plaintext_key, activation_id=blank),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert (caught.value.code, caught.value.field) == ("INVALID", "activation_id")
        assert caught.value.message == "Send the activation id; it cannot be blank."
    assert Activation.objects.count() == 1


# ---------------------------------------------------------------- members managing machines


@pytest.fixture
def machine(member, policy):
    return ActivationFactory(license=LicenseFactory(policy=policy, assignee=member), name="old name")


def test_renaming_someone_elses_machine_needs_manage_licenses(machine, workspace, make_member, outsider):
    plain = make_member(workspace)
    error = error_of(service.activation_update, activation=machine, name="mine now", actor=plain)
    assert (error.code, error.kind) == ("PERMISSION_DENIED", ErrorKind.FORBIDDEN)
    assert error.message == "Only members who manage licenses can change other people's machines."

    error = error_of(service.activation_update, activation=machine, name="mine now", actor=outsider)
    assert (error.code, error.kind) == ("NOT_FOUND", ErrorKind.NOT_FOUND)
    assert error.message == "No such activation; check the identifier."

    machine.refresh_from_db()
    assert machine.name == "old name"
    manager = make_member(workspace, manage_licenses=True)
    assert service.activation_update(activation=machine, name="fleet box", actor=manager).name == "fleet box"


def test_the_machine_user_may_rename_their_own_machine(machine, member):
    service.activation_update(activation=machine, name="my laptop", actor=member)
    machine.refresh_from_db()
    assert machine.name == "my laptop"


def test_renaming_does_not_undo_a_heartbeat_that_arrived_meanwhile(machine):
    stale = Activation.objects.get(pk=machine.pk)
    service.activation_heartbeat(activation_id=machine.public_id)
    beat = Activation.objects.get(pk=machine.pk).last_heartbeat_at

    service.activation_update(activation=stale, name="renamed")

    machine.refresh_from_db()
    assert (machine.name, machine.last_heartbeat_at) == ("renamed", beat)


def test_without_a_license_the_token_answer_says_whom_to_ask(member, admin, policy):
    error = error_of(
        service.token_activate, token=_developer_token(member), product="emulator", fingerprint="f"
    )
    assert (error.code, error.kind) == ("LICENSE_NOT_ASSIGNED", ErrorKind.UNPROCESSABLE)
    assert error.message == (
        "Your token is valid but no license is assigned to you; ask your workspace admin to assign one."
    )

    from authtokens import services as token_services

    issued = token_services.ci_token_create(actor=admin, name="deploy")
    LicenseFactory(policy=PolicyFactory(product=policy.product, allow_ci=False), workspace=admin.workspace)
    error = error_of(service.token_activate, token=issued.token, product="emulator", fingerprint="f", ci=True)
    assert error.code == "LICENSE_NOT_ASSIGNED"
    assert error.message == (
        "No license of this workspace for emulator allows CI tokens; ask your workspace admin "
        "for a license whose plan allows CI."
    )


def test_each_validation_is_counted_with_its_time(license, flush_counts):
    before = timezone.now()
    service.license_key_validate(key=license.plaintext_key)
    service.license_key_validate(key=license.plaintext_key)
    flush_counts()

    stored = type(license).objects.get(pk=license.pk)
    assert stored.validation_count == 2
    assert stored.last_validated_at >= before


def test_a_too_long_product_is_named_by_validate(license):
    error = error_of(service.license_key_validate, key=license.plaintext_key, product="p" * 51)
    assert (error.code, error.field) == ("INVALID", "product")


def test_optional_machine_details_default_to_empty(license, member, policy):
    activation = service.license_key_activate(key=license.plaintext_key, name="", fingerprint="fp-1")
    assert Activation.objects.get(pk=activation.pk).platform == ""

    LicenseFactory(policy=policy, assignee=member)
    result = service.token_activate(token=_developer_token(member), product="emulator", fingerprint="fp-2")
    stored = Activation.objects.get(pk=result.activation.pk)
    assert (stored.name, stored.platform) == ("", "")
    assert result.activation.license == result.license


def test_a_token_for_another_product_is_told_which_product_its_license_is_for(member, policy):
    LicenseFactory(policy=policy, assignee=member)
    error = error_of(service.token_activate, token=_developer_token(member), product="other", fingerprint="f")
    assert (error.code, error.field) == ("PRODUCT_MISMATCH", "product")
    assert error.message == "This license is for emulator, not other; use a license for other."


def test_a_ci_token_in_a_workspace_without_licenses_is_told_about_ci(admin):
    from authtokens import services as token_services

    issued = token_services.ci_token_create(actor=admin, name="deploy")
    error = error_of(service.token_activate, token=issued.token, product="emulator", fingerprint="f", ci=True)
    assert error.code == "LICENSE_NOT_ASSIGNED"
    assert error.message.startswith("No license of this workspace for emulator allows CI tokens;")
