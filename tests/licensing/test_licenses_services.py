"""licensing.services.licenses (staff side) and licensing.services.catalog: every rule and error code."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.keys import hash_key
from licensing.models import METADATA_MAX_BYTES, License, LicenseSource, LicenseStatus, Policy, Product
from licensing.services import catalog
from licensing.services import licenses as services

from .factories import LicenseFactory, PolicyFactory, ProductFactory, raises_code

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- create


def test_create_generates_a_prefixed_crockford_key_and_keeps_it_for_a_plain_policy(workspace, owner):
    policy = PolicyFactory(key_prefix="EMU", duration=timedelta(days=30))
    license, key = services.license_create(policy=policy, workspace=workspace, created_by=owner.user)

    assert re.fullmatch(r"EMU(-[0-9A-HJKMNP-TV-Z]{5}){4}", key)
    assert license.key == key
    assert license.key_hash == hash_key(key)
    assert license.key_suffix == key[-4:]
    assert license.status == LicenseStatus.ACTIVE
    assert license.source == LicenseSource.MANUAL
    assert license.created_by == owner.user
    assert license.public_id.startswith("lic_")
    assert abs(license.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(seconds=5)


def test_encrypted_policy_keeps_only_the_hash():
    policy = PolicyFactory(encrypted=True)
    license, key = services.license_create(policy=policy)
    license.refresh_from_db()
    assert license.key is None
    assert license.key_hash == hash_key(key)
    assert license.workspace is None  # a user-less key


def test_policy_without_duration_never_expires():
    license, _ = services.license_create(policy=PolicyFactory(duration=None))
    assert license.expires_at is None and license.effective_status == LicenseStatus.ACTIVE


def test_staff_supplied_key_is_used_as_given_and_an_explicit_expiry_wins():
    until = timezone.now() + timedelta(days=3)
    license, key = services.license_create(policy=PolicyFactory(), key="  MY-OWN-KEY-1 ", expires_at=until)
    assert key == "MY-OWN-KEY-1" and license.key == "MY-OWN-KEY-1" and license.expires_at == until


def test_duplicate_key_is_refused():
    policy = PolicyFactory()
    services.license_create(policy=policy, key="SAME-KEY")
    with raises_code("LICENSE_KEY_TAKEN") as error:
        services.license_create(policy=policy, key="SAME-KEY")
    assert error.value.field == "key"
    assert License.objects.count() == 1


@pytest.mark.parametrize("key", ["", "   ", "has space", "x" * 129, 42, "tab\there"])
def test_bad_keys_are_refused(key):
    with raises_code("KEY_INVALID") as error:
        services.license_create(policy=PolicyFactory(), key=key)
    assert error.value.field == "key"
    assert not License.objects.exists()


def test_metadata_over_the_limit_is_refused_and_nothing_written():
    with raises_code("METADATA_TOO_LARGE") as error:
        services.license_create(policy=PolicyFactory(), metadata={"blob": "x" * METADATA_MAX_BYTES})
    assert error.value.field == "metadata"
    assert not License.objects.exists()


@pytest.mark.parametrize("metadata", [["a", "list"], "text", {"when": timezone.now()}])
def test_metadata_must_be_a_plain_json_object(metadata):
    with raises_code("METADATA_INVALID"):
        services.license_create(policy=PolicyFactory(), metadata=metadata)


def test_name_rules():
    with raises_code("NAME_TOO_LONG"):
        services.license_create(policy=PolicyFactory(), name="n" * 151)
    with raises_code("NAME_INVALID"):
        services.license_create(policy=PolicyFactory(), name=5)


def test_source_must_be_known():
    with raises_code("SOURCE_INVALID") as error:
        services.license_create(policy=PolicyFactory(), source="gift")
    assert error.value.field == "source"


def test_key_generation_gives_up_after_repeated_clashes(monkeypatch):
    policy = PolicyFactory()
    services.license_create(policy=policy, key="KW-CLASH")
    monkeypatch.setattr(services, "generate_key", lambda prefix: "KW-CLASH")
    with raises_code("KEY_GENERATION_FAILED"):
        services.license_create(policy=policy)


def test_issue_creates_n_distinct_keys_for_a_workspace(workspace, owner):
    pairs = services.license_issue(
        policy=PolicyFactory(), workspace=workspace, count=5, created_by=owner.user
    )
    assert len(pairs) == 5
    assert len({key for _, key in pairs}) == 5
    assert License.objects.filter(workspace=workspace).count() == 5


@pytest.mark.parametrize("count", [0, -1, 1001, "3", True, 2.5])
def test_issue_count_must_be_sane(workspace, count):
    with raises_code("COUNT_INVALID") as error:
        services.license_issue(policy=PolicyFactory(), workspace=workspace, count=count)
    assert error.value.field == "count"
    assert not License.objects.exists()


# ---------------------------------------------------------------- status


def test_suspend_reinstate_revoke_cycle():
    license = LicenseFactory()
    assert services.license_suspend(license=license).status == LicenseStatus.SUSPENDED
    assert services.license_suspend(license=license).status == LicenseStatus.SUSPENDED  # idempotent
    assert services.license_reinstate(license=license).status == LicenseStatus.ACTIVE
    assert services.license_revoke(license=license).status == LicenseStatus.REVOKED
    assert services.license_revoke(license=license).status == LicenseStatus.REVOKED
    license.refresh_from_db()
    assert license.status == LicenseStatus.REVOKED


@pytest.mark.parametrize(
    "operation",
    [
        lambda lic: services.license_suspend(license=lic),
        lambda lic: services.license_reinstate(license=lic),
        lambda lic: services.license_extend(license=lic, by=timedelta(days=1)),
    ],
)
def test_a_revoked_license_stays_revoked(operation):
    license = LicenseFactory(status=LicenseStatus.REVOKED)
    with raises_code("LICENSE_REVOKED"):
        operation(license)
    license.refresh_from_db()
    assert license.status == LicenseStatus.REVOKED


def test_only_a_suspended_license_can_be_reinstated():
    with raises_code("LICENSE_NOT_SUSPENDED"):
        services.license_reinstate(license=LicenseFactory())


def test_expired_is_derived_from_expires_at():
    license = LicenseFactory(expires_at=timezone.now() - timedelta(minutes=1))
    assert license.status == LicenseStatus.ACTIVE
    assert license.effective_status == LicenseStatus.EXPIRED


# ---------------------------------------------------------------- extend


def test_extend_by_days_counts_from_the_current_expiry():
    expiry = timezone.now() + timedelta(days=10)
    license = services.license_extend(license=LicenseFactory(expires_at=expiry), by=timedelta(days=30))
    assert license.expires_at == expiry + timedelta(days=30)


def test_extend_an_expired_license_counts_from_now():
    license = LicenseFactory(expires_at=timezone.now() - timedelta(days=100))
    license = services.license_extend(license=license, by=timedelta(days=30))
    assert license.effective_status == LicenseStatus.ACTIVE
    assert abs(license.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(seconds=5)


def test_extend_until_a_date():
    until = timezone.now() + timedelta(days=400)
    assert services.license_extend(license=LicenseFactory(), until=until).expires_at == until


def test_extend_argument_errors():
    license = LicenseFactory()
    with raises_code("EXTEND_INVALID"):
        services.license_extend(license=license)
    with raises_code("EXTEND_INVALID"):
        services.license_extend(license=license, until=timezone.now(), by=timedelta(days=1))
    with raises_code("EXTEND_INVALID"):
        services.license_extend(license=license, by=timedelta(0))
    with raises_code("EXPIRY_IN_PAST") as error:
        services.license_extend(license=license, until=timezone.now() - timedelta(days=1))
    assert error.value.field == "until"


def test_a_perpetual_license_has_nothing_to_extend_by():
    with raises_code("LICENSE_NEVER_EXPIRES"):
        services.license_extend(license=LicenseFactory(expires_at=None), by=timedelta(days=1))


# ---------------------------------------------------------------- update


def test_update_changes_only_what_is_given():
    license = LicenseFactory(name="old", metadata={"a": 1})
    license = services.license_update(license=license, name="new")
    license.refresh_from_db()
    assert license.name == "new" and license.metadata == {"a": 1}
    license = services.license_update(license=license, metadata={"b": 2}, expires_at=None)
    license.refresh_from_db()
    assert license.metadata == {"b": 2} and license.expires_at is None


def test_update_status_goes_through_the_status_rules():
    license = LicenseFactory()
    assert services.license_update(license=license, status="suspended").status == LicenseStatus.SUSPENDED
    assert services.license_update(license=license, status="active").status == LicenseStatus.ACTIVE
    assert services.license_update(license=license, status="revoked").status == LicenseStatus.REVOKED
    with raises_code("LICENSE_REVOKED"):
        services.license_update(license=license, status="active")


def test_update_refuses_bad_values_and_writes_nothing():
    license = LicenseFactory(name="keep")
    with raises_code("STATUS_INVALID"):
        services.license_update(license=license, name="changed", status="expired")
    with raises_code("EXPIRY_INVALID"):
        services.license_update(license=license, name="changed", expires_at="tomorrow")
    with raises_code("METADATA_TOO_LARGE"):
        services.license_update(license=license, name="changed", metadata={"x": "y" * METADATA_MAX_BYTES})
    license.refresh_from_db()
    assert license.name == "keep"


# ---------------------------------------------------------------- catalogue


def test_product_create_and_its_rules():
    product = catalog.product_create(name="Cloud Emulator", code="emulator")
    assert Product.objects.get(code="emulator") == product
    with raises_code("PRODUCT_CODE_TAKEN"):
        catalog.product_create(name="Other", code="emulator")
    with raises_code("PRODUCT_CODE_INVALID"):
        catalog.product_create(name="Other", code="Not A Slug")
    with raises_code("NAME_REQUIRED"):
        catalog.product_create(name=" ", code="blank")
    with raises_code("NAME_TOO_LONG"):
        catalog.product_create(name="n" * 101, code="long")
    assert Product.objects.count() == 1


def test_policy_create_and_its_rules():
    product = ProductFactory()
    policy = catalog.policy_create(
        product=product, name="Pro", duration=timedelta(days=365), max_activations=3, key_prefix="emu"
    )
    assert (
        policy.key_prefix == "EMU"
        and policy.trial_days == 14
        and policy.offline_lifetime == timedelta(hours=24)
    )
    with raises_code("POLICY_INVALID") as error:
        catalog.policy_create(product=product, name="Bad", max_activations=0)
    assert error.value.field == "max_activations"
    with raises_code("POLICY_INVALID"):
        catalog.policy_create(product=product, name="Bad", duration=timedelta(days=-1))
    with raises_code("KEY_PREFIX_INVALID"):
        catalog.policy_create(product=product, name="Bad", key_prefix="E-M")
    with raises_code("NAME_REQUIRED"):
        catalog.policy_create(product=product, name="")
    with raises_code("NAME_TOO_LONG"):
        catalog.policy_create(product=product, name="n" * 101)
    assert Policy.objects.count() == 1
