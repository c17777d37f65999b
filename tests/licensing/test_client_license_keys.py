"""The license-key flow: POST /api/v1/licenses/validate, /activate, /deactivate (no account credential)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.models import Activation, License, LicenseStatus, LicenseValidationDay
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

VALIDATE = "/api/v1/licenses/validate"
ACTIVATE = "/api/v1/licenses/activate"
DEACTIVATE = "/api/v1/licenses/deactivate"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("client_cache_mode")]


@pytest.fixture
def product():
    return ProductFactory(code="emulator", name="Emulator")


@pytest.fixture
def license(product, workspace):
    return LicenseFactory(
        policy=PolicyFactory(product=product, name="Pro", max_activations=2), workspace=workspace
    )


def post(api_client, url, body, **headers):
    return api_client.post(url, body, format="json", **headers)


# ---------------------------------------------------------------- validate


def test_validate_a_good_key(api_client, license):
    response = post(api_client, VALIDATE, {"key": license.plaintext_key, "product": "emulator"})

    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["code"] == "VALID"
    assert body["message"]
    assert body["license"]["id"] == license.public_id
    assert body["license"]["product"] == "emulator"
    assert body["license"]["plan"] == "Pro"
    assert body["license"]["status"] == "active"
    assert body["activation"] is None
    assert "key" not in body["license"]


def test_validate_counts_per_license_and_per_day(api_client, license, flush_counts):
    for _ in range(3):
        post(api_client, VALIDATE, {"key": license.plaintext_key})
    flush_counts()

    license.refresh_from_db()
    assert license.validation_count == 3
    assert license.last_validated_at is not None
    day = LicenseValidationDay.objects.get(license=license)
    assert day.day == timezone.localdate()
    assert day.count == 3


def test_validate_unknown_key_is_not_found(api_client, license):
    response = post(api_client, VALIDATE, {"key": "KW-NOPE0-NOPE0-NOPE0-NOPE0"})

    assert response.status_code == 200
    assert response.json() | {"message": ""} == {
        "valid": False,
        "code": "NOT_FOUND",
        "message": "",
        "license": None,
        "activation": None,
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": LicenseStatus.SUSPENDED}, "SUSPENDED"),
        ({"status": LicenseStatus.REVOKED}, "REVOKED"),
        ({"expires_at": timezone.now() - timedelta(days=1)}, "EXPIRED"),
    ],
)
def test_validate_reports_the_status(api_client, license, changes, code):
    License.objects.filter(pk=license.pk).update(**changes)

    body = post(api_client, VALIDATE, {"key": license.plaintext_key}).json()

    assert body["valid"] is False
    assert body["code"] == code
    assert body["license"]["status"] == code.lower()
    assert body["message"].endswith(".")


def test_validate_product_mismatch(api_client, license):
    body = post(api_client, VALIDATE, {"key": license.plaintext_key, "product": "other-app"}).json()

    assert body["valid"] is False
    assert body["code"] == "PRODUCT_MISMATCH"
    assert "emulator" in body["message"]


def test_validate_with_an_unknown_fingerprint_is_not_activated(api_client, license):
    ActivationFactory(license=license, fingerprint="known-machine")

    body = post(api_client, VALIDATE, {"key": license.plaintext_key, "fingerprint": "another-machine"}).json()

    assert body["valid"] is False
    assert body["code"] == "NOT_ACTIVATED"
    assert body["activation"] is None


def test_validate_with_a_known_fingerprint_or_activation_id(api_client, license):
    activation = ActivationFactory(license=license, fingerprint="known-machine", name="build box")

    by_fingerprint = post(
        api_client, VALIDATE, {"key": license.plaintext_key, "fingerprint": "known-machine"}
    )
    by_id = post(api_client, VALIDATE, {"key": license.plaintext_key, "activation_id": activation.public_id})

    for response in (by_fingerprint, by_id):
        body = response.json()
        assert body["code"] == "VALID"
        assert body["activation"]["id"] == activation.public_id
        assert body["activation"]["name"] == "build box"
        assert body["activation"]["fingerprint"] == "known-machine"


def test_validate_does_not_match_a_machine_of_another_license(api_client, license):
    other = ActivationFactory(license=LicenseFactory(policy=license.policy), fingerprint="elsewhere")

    body = post(api_client, VALIDATE, {"key": license.plaintext_key, "activation_id": other.public_id}).json()

    assert body["code"] == "NOT_ACTIVATED"


def test_validate_ignores_a_garbage_authorization_header(api_client, license):
    response = post(
        api_client, VALIDATE, {"key": license.plaintext_key}, HTTP_AUTHORIZATION="Bearer not-a-real-token"
    )

    assert response.status_code == 200
    assert response.json()["code"] == "VALID"


def test_validate_reads_two_rows_and_none_once_warm(
    api_client, license, client_cache_mode, django_assert_max_num_queries
):
    activation = ActivationFactory(license=license, fingerprint="known-machine")
    body = {"key": license.plaintext_key, "fingerprint": "known-machine"}
    # The license and its machine, and without the shared cache the two writes that count the
    # validation; with it, the policy once per process, then nothing.
    cold, warm = (4, 4) if client_cache_mode == "database" else (3, 0)
    with django_assert_max_num_queries(cold):
        assert post(api_client, VALIDATE, body).json()["activation"]["id"] == activation.public_id
    with django_assert_max_num_queries(warm):
        assert post(api_client, VALIDATE, body).json()["activation"]["id"] == activation.public_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "key"),
        ({"key": 12345}, "key"),
        ({"key": ["a"]}, "key"),
        ({"key": "K" * 129}, "key"),
        ({"key": "KW-A", "fingerprint": "f" * 256}, "fingerprint"),
        ({"key": "KW-A", "fingerprint": 7}, "fingerprint"),
        ({"key": "KW-A", "product": {"x": 1}}, "product"),
    ],
)
def test_validate_bad_input_names_the_field_and_writes_nothing(api_client, license, body, field):
    body = {**body, "key": license.plaintext_key} if body.get("key") == "KW-A" else body

    response = post(api_client, VALIDATE, body)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID"
    assert field in response.json()["fields"]
    license.refresh_from_db()
    assert license.validation_count == 0
    assert not LicenseValidationDay.objects.exists()


def test_a_body_that_is_not_json_object_is_rejected(api_client):
    response = api_client.post(VALIDATE, "[1, 2]", content_type="application/json")

    assert response.status_code == 400


# ---------------------------------------------------------------- activate


def test_activate_creates_a_machine(api_client, license):
    response = post(
        api_client,
        ACTIVATE,
        {"key": license.plaintext_key, "name": "laptop", "fingerprint": "fp-1", "platform": "linux"},
    )

    assert response.status_code == 201
    body = response.json()
    activation = Activation.objects.get(license=license)
    assert body["activated"] is True
    assert body["activation"]["id"] == activation.public_id
    assert activation.public_id.startswith("act_")
    assert (activation.name, activation.fingerprint, activation.platform) == ("laptop", "fp-1", "linux")
    assert activation.membership is None
    assert body["license"]["id"] == license.public_id
    assert body["certificate"].startswith("cert/")


def test_activating_the_same_fingerprint_again_returns_the_existing_machine(api_client, license):
    first = post(
        api_client, ACTIVATE, {"key": license.plaintext_key, "name": "laptop", "fingerprint": "fp-1"}
    )
    second = post(
        api_client, ACTIVATE, {"key": license.plaintext_key, "name": "laptop", "fingerprint": "fp-1"}
    )

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["activation"]["id"] == first.json()["activation"]["id"]
    assert Activation.objects.filter(license=license).count() == 1


def test_activation_limit_reached(api_client, license):
    for n in range(2):
        post(api_client, ACTIVATE, {"key": license.plaintext_key, "name": "m", "fingerprint": f"fp-{n}"})

    response = post(api_client, ACTIVATE, {"key": license.plaintext_key, "name": "m", "fingerprint": "fp-3"})

    assert response.status_code == 422
    assert response.json()["code"] == "ACTIVATION_LIMIT_REACHED"
    assert "deactivate" in response.json()["message"]
    assert Activation.objects.filter(license=license).count() == 2


def test_an_unlimited_policy_has_no_limit(api_client, product):
    license = LicenseFactory(policy=PolicyFactory(product=product, max_activations=None))
    for n in range(5):
        response = post(api_client, ACTIVATE, {"key": license.plaintext_key, "fingerprint": f"fp-{n}"})
        assert response.status_code == 201
    assert license.activations.count() == 5


def test_activate_unknown_key(api_client, license):
    response = post(api_client, ACTIVATE, {"key": "KW-NOPE", "name": "m", "fingerprint": "fp"})

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert not Activation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": LicenseStatus.SUSPENDED}, "LICENSE_SUSPENDED"),
        ({"status": LicenseStatus.REVOKED}, "LICENSE_REVOKED"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "LICENSE_EXPIRED"),
    ],
)
def test_activate_refuses_a_license_that_is_not_active(api_client, license, changes, code):
    License.objects.filter(pk=license.pk).update(**changes)

    response = post(api_client, ACTIVATE, {"key": license.plaintext_key, "name": "m", "fingerprint": "fp"})

    assert response.status_code == 422
    assert response.json()["code"] == code
    assert not Activation.objects.exists()


def test_activate_product_mismatch(api_client, license):
    response = post(
        api_client, ACTIVATE, {"key": license.plaintext_key, "fingerprint": "fp", "product": "other-app"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "PRODUCT_MISMATCH"
    assert not Activation.objects.exists()


def test_activate_ignores_a_garbage_authorization_header(api_client, license):
    response = post(
        api_client,
        ACTIVATE,
        {"key": license.plaintext_key, "fingerprint": "fp"},
        HTTP_AUTHORIZATION="Bearer kw_dev_garbage",
    )

    assert response.status_code == 201


def test_an_activated_machine_is_refused_once_its_license_is_suspended(api_client, license):
    """The shortcut for a machine activated before (the snapshot, no lock) refuses what a first activation
    refuses: a suspended license gives its machines no fresh certificate."""
    from licensing.services.licenses import license_suspend

    body = {"key": license.plaintext_key, "name": "m", "fingerprint": "fp"}
    assert post(api_client, ACTIVATE, body).status_code == 201
    assert post(api_client, ACTIVATE, body).status_code == 200
    license_suspend(license=license)

    response = post(api_client, ACTIVATE, body)

    assert response.status_code == 422
    assert response.json()["code"] == "LICENSE_SUSPENDED"
    assert "certificate" not in response.json()


def test_an_activated_machine_asking_for_another_product_is_refused(api_client, license):
    body = {"key": license.plaintext_key, "name": "m", "fingerprint": "fp", "product": "emulator"}
    assert post(api_client, ACTIVATE, body).status_code == 201
    assert post(api_client, ACTIVATE, body).status_code == 200

    response = post(api_client, ACTIVATE, {**body, "product": "other-app"})

    assert response.status_code == 422
    assert response.json()["code"] == "PRODUCT_MISMATCH"
    assert "certificate" not in response.json()
    assert post(api_client, ACTIVATE, body).status_code == 200


def test_a_repeat_activation_takes_no_lock_once_warm(
    api_client, license, client_cache_mode, django_assert_max_num_queries
):
    body = {"key": license.plaintext_key, "name": "m", "fingerprint": "fp"}
    # A new machine: lock, look for it, count, insert, and one look for webhook endpoints that want
    # license.activated; with the shared cache, first the license's snapshot (license and machines),
    # and the test commits for real, so SQLite's BEGIN and COMMIT are counted too.
    with django_assert_max_num_queries(5 if client_cache_mode == "database" else 9):
        assert post(api_client, ACTIVATE, body).status_code == 201
    if client_cache_mode == "database":
        with django_assert_max_num_queries(2):  # the lock, and the machine found under it
            assert post(api_client, ACTIVATE, body).status_code == 200
        return
    # The new machine made the snapshot stale: the next activation reads it again (license and
    # machines), without a lock; the one after that reads nothing.
    with django_assert_max_num_queries(2) as cold:
        assert post(api_client, ACTIVATE, body).status_code == 200
    assert not any("FOR UPDATE" in query["sql"] for query in cold.captured_queries)
    with django_assert_max_num_queries(0):
        assert post(api_client, ACTIVATE, body).status_code == 200
    assert Activation.objects.filter(license=license).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "m", "fingerprint": "fp"}, "key"),
        ({"key": 5, "fingerprint": "fp"}, "key"),
        ({"key": "KEY"}, "fingerprint"),
        ({"key": "KEY", "fingerprint": ""}, "fingerprint"),
        ({"key": "KEY", "fingerprint": "f" * 256}, "fingerprint"),
        ({"key": "KEY", "fingerprint": 123}, "fingerprint"),
        ({"key": "KEY", "fingerprint": "fp", "name": ["x"]}, "name"),
        ({"key": "KEY", "fingerprint": "fp", "name": "n" * 151}, "name"),
    ],
)
def test_activate_bad_input_names_the_field_and_writes_nothing(api_client, license, body, field):
    if body.get("key") == "KEY":
        body["key"] = license.plaintext_key

    response = post(api_client, ACTIVATE, body)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Activation.objects.exists()


# ---------------------------------------------------------------- deactivate


def test_deactivate_frees_the_seat(api_client, license):
    keep = ActivationFactory(license=license)
    gone = ActivationFactory(license=license)

    response = post(api_client, DEACTIVATE, {"key": license.plaintext_key, "activation_id": gone.public_id})

    assert response.status_code == 200
    assert response.json()["deactivated"] is True
    assert list(license.activations.all()) == [keep]


def test_deactivate_needs_the_right_key_for_the_machine(api_client, license):
    other_license = LicenseFactory(policy=license.policy)
    machine = ActivationFactory(license=other_license)

    response = post(
        api_client, DEACTIVATE, {"key": license.plaintext_key, "activation_id": machine.public_id}
    )

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert "activation_id" in response.json()["fields"]
    assert Activation.objects.filter(pk=machine.pk).exists()


def test_deactivate_unknown_key(api_client, license):
    machine = ActivationFactory(license=license)

    response = post(api_client, DEACTIVATE, {"key": "KW-NOPE", "activation_id": machine.public_id})

    assert response.status_code == 404
    assert "key" in response.json()["fields"]
    assert Activation.objects.filter(pk=machine.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"), [({"key": "KEY"}, "activation_id"), ({"activation_id": "act_x"}, "key")]
)
def test_deactivate_bad_input(api_client, license, body, field):
    machine = ActivationFactory(license=license)
    if body.get("key") == "KEY":
        body["key"] = license.plaintext_key

    response = post(api_client, DEACTIVATE, body)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Activation.objects.filter(pk=machine.pk).exists()


def test_deactivate_ignores_a_garbage_authorization_header(api_client, license):
    machine = ActivationFactory(license=license)

    response = post(
        api_client,
        DEACTIVATE,
        {"key": license.plaintext_key, "activation_id": machine.public_id},
        HTTP_AUTHORIZATION="Bearer garbage",
    )

    assert response.status_code == 200
    assert not Activation.objects.exists()


def test_an_encrypted_policy_key_still_validates(api_client, product):
    license = LicenseFactory(policy=PolicyFactory(product=product, encrypted=True))
    assert license.key is None

    body = post(api_client, VALIDATE, {"key": f"  {license.plaintext_key} "}).json()

    assert body["code"] == "VALID"


@pytest.mark.parametrize("time_zone", ["UTC", "America/St_Johns"])
def test_the_fast_output_matches_the_documented_serializers(license, settings, time_zone):
    from licensing.api.client_serializers import ClientValidationOutput, validation_data
    from licensing.services.activation import license_key_validate

    settings.TIME_ZONE = time_zone
    ActivationFactory(license=license, fingerprint="fp", last_heartbeat_at=None)
    license.policy.heartbeat_interval = timedelta(minutes=5)
    license.policy.save()
    expires_at = timezone.now() + timedelta(days=3, microseconds=1234)
    License.objects.filter(pk=license.pk).update(metadata={"seats": 3}, name="Team", expires_at=expires_at)

    for fingerprint in ("fp", "unknown"):
        result = license_key_validate(key=license.plaintext_key, fingerprint=fingerprint)
        assert validation_data(result) == ClientValidationOutput(result).data
    not_found = license_key_validate(key="KW-NONE")
    assert validation_data(not_found) == ClientValidationOutput(not_found).data


def test_the_license_snapshot_holds_no_key_and_no_password(product, member):
    """What the shared cache keeps of a license names its policy, product, workspace, assignee and
    machines, but never the plaintext key or the assignee's password hash."""
    import pickle

    from licensing.selectors.activation import license_by_key
    from licensing.snapshots import KeySnapshot

    license = LicenseFactory(
        policy=PolicyFactory(product=product), assignee=member, workspace=member.workspace
    )
    loaded = license_by_key(key=license.plaintext_key)
    snapshot = KeySnapshot(loaded)
    snapshot._read_machines()
    stored = pickle.dumps(snapshot)

    assert license.plaintext_key.encode() not in stored
    assert member.user.password.encode() not in stored
    copy = pickle.loads(stored)
    assert (copy.license.policy.product.code, copy.license.workspace.slug) == (
        product.code,
        member.workspace.slug,
    )
    assert copy.license.assignee.user.email == member.user.email
    assert license_by_key(key="KW-NOT-A-KEY") is None


def test_the_answer_shows_the_limit_that_holds_the_license_s_own_before_its_plan_s(api_client, license):
    """Dodo's API can give one license a limit of its own: activation enforces it, so the answer says it."""
    License.objects.filter(pk=license.pk).update(activation_limit=10)
    body = post(api_client, VALIDATE, {"key": license.plaintext_key}).json()
    assert (license.policy.max_activations, body["license"]["max_activations"]) == (2, 10)
