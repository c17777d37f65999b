"""The official `dodopayments` SDK against /compat/dodo/ on the live test server.

Every call runs with `_strict_response_validation=True`, so a missing or
mistyped field in any response fails the test.
"""

from datetime import timedelta

import dodopayments
import httpx
import pytest
from django.utils import timezone
from dodopayments import DodoPayments

from accounts.models import Role
from authtokens.services import developer_token_rotate
from licensing.models import Activation, License, LicenseSource, LicenseStatus, Policy
from tests.licensing.factories import ActivationFactory, LicenseFactory, PolicyFactory, ProductFactory

# The SDK marks license_keys.list/retrieve/update deprecated, but Dodo still serves them and vendors'
# clients still call them, so they are exactly what this layer must keep answering.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


@pytest.fixture
def product(db):
    return ProductFactory(name="Emulator", code="emulator")


@pytest.fixture
def policy(product):
    return PolicyFactory(product=product, name="Pro", max_activations=2)


@pytest.fixture
def license(policy, workspace):
    return LicenseFactory(policy=policy, workspace=workspace)


@pytest.fixture
def sdk(live_server):
    """sdk(bearer_token="...", **options) -> a DodoPayments client pointed at the live server."""
    clients = []

    def make(bearer_token="any-value-the-sdk-insists-on", **options):
        options.setdefault("max_retries", 0)
        client = DodoPayments(
            bearer_token=bearer_token,
            base_url=live_server.url + "/compat/dodo",
            _strict_response_validation=True,
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:  # close keep-alive connections before the live server stops
        client.close()


@pytest.fixture
def staff_token(workspace, make_member):
    membership = make_member(workspace, Role.OWNER, email="support@vendor.test")
    membership.user.is_staff = True
    membership.user.save(update_fields=["is_staff"])
    return developer_token_rotate(actor=membership).plaintext


@pytest.fixture
def staff(sdk, staff_token):
    return sdk(staff_token)


# ---------------------------------------------------------------- public: activate / validate / deactivate


def test_activate_validate_deactivate_round_trip(sdk, license, workspace):
    client = sdk()

    instance = client.licenses.activate(license_key=license.plaintext_key, name="build-server")

    assert instance.id.startswith("act_")
    assert instance.name == "build-server"
    assert instance.license_key_id == license.public_id
    assert instance.product.product_id == "emulator"
    assert instance.product.name == "Emulator"
    assert instance.customer.customer_id == workspace.slug
    assert Activation.objects.get(public_id=instance.id).license == license

    assert client.licenses.validate(license_key=license.plaintext_key).valid is True
    assert client.licenses.validate(
        license_key=license.plaintext_key, license_key_instance_id=instance.id
    ).valid

    assert (
        client.licenses.deactivate(license_key=license.plaintext_key, license_key_instance_id=instance.id)
        is None
    )
    assert not Activation.objects.filter(public_id=instance.id).exists()
    assert (
        client.licenses.validate(license_key=license.plaintext_key, license_key_instance_id=instance.id).valid
        is False
    )


def test_each_activation_is_a_new_instance_unless_a_fingerprint_is_sent(sdk, license):
    client = sdk()
    first = client.licenses.activate(license_key=license.plaintext_key, name="laptop")
    second = client.licenses.activate(license_key=license.plaintext_key, name="laptop")
    assert first.id != second.id

    license.activations.all().delete()
    again = [
        client.licenses.activate(
            license_key=license.plaintext_key, name="ci", extra_body={"fingerprint": "m-1"}
        )
        for _ in range(2)
    ]
    assert again[0].id == again[1].id
    assert license.activations.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"status": LicenseStatus.SUSPENDED},
        {"status": LicenseStatus.REVOKED},
        {"expires_at": timezone.now() - timedelta(days=1)},
    ],
)
def test_validate_is_false_for_a_license_that_cannot_run(sdk, license, change):
    License.objects.filter(pk=license.pk).update(**change)
    assert sdk().licenses.validate(license_key=license.plaintext_key).valid is False


def test_activation_limit_answers_422_once_without_retries(sdk, policy, workspace):
    policy.max_activations = 1
    policy.save()
    license = LicenseFactory(policy=policy, workspace=workspace)
    requests = []
    client = sdk(max_retries=3, http_client=httpx.Client(event_hooks={"request": [requests.append]}))
    client.licenses.activate(license_key=license.plaintext_key, name="one")
    requests.clear()

    with pytest.raises(dodopayments.UnprocessableEntityError) as refused:
        client.licenses.activate(license_key=license.plaintext_key, name="two")

    assert refused.value.status_code == 422
    assert refused.value.body["code"] == "LICENSE_KEY_LIMIT_REACHED"  # Dodo's own code
    assert len(requests) == 1  # the SDK did not retry
    assert license.activations.count() == 1


def test_unknown_key(sdk, license):
    client = sdk()
    assert client.licenses.validate(license_key="KW-NOPE0-NOPE0-NOPE0-NOPE0").valid is False
    with pytest.raises(dodopayments.NotFoundError):
        client.licenses.activate(license_key="KW-NOPE0-NOPE0-NOPE0-NOPE0", name="x")
    with pytest.raises(dodopayments.NotFoundError):
        client.licenses.deactivate(license_key="KW-NOPE0-NOPE0-NOPE0-NOPE0", license_key_instance_id="act_x")
    assert not Activation.objects.exists()


def test_deactivating_another_keys_instance_is_not_found(sdk, license, policy):
    other = ActivationFactory(license=LicenseFactory(policy=policy))
    with pytest.raises(dodopayments.NotFoundError):
        sdk().licenses.deactivate(license_key=license.plaintext_key, license_key_instance_id=other.public_id)
    assert Activation.objects.filter(pk=other.pk).exists()


# ---------------------------------------------------------------- staff: license_keys


def test_create_license_key_for_a_workspace(staff, policy, workspace):
    expires = timezone.now() + timedelta(days=30)

    created = staff.license_keys.create(
        customer_id=workspace.slug, key="IMPORTED-KEY-0001", product_id="emulator", expires_at=expires
    )

    license = License.objects.get(public_id=created.id)
    assert license.workspace == workspace and license.policy == policy
    assert license.source == LicenseSource.IMPORT
    assert created.key == "IMPORTED-KEY-0001"
    assert (created.customer_id, created.product_id, created.status) == (workspace.slug, "emulator", "active")
    assert created.activations_limit == 2 and created.instances_count == 0
    assert abs(created.expires_at - expires) < timedelta(seconds=1)
    assert sdk_validates(staff, "IMPORTED-KEY-0001")


def sdk_validates(client, key) -> bool:
    return client.licenses.validate(license_key=key).valid


def test_create_license_key_for_an_unknown_customer_keeps_the_id_on_a_user_less_key(staff, policy):
    created = staff.license_keys.create(
        customer_id="cus_dodo123",
        key="FROM-DODO-1",
        product_id="emulator",
        activations_limit=7,
        expires_at=None,
    )

    license = License.objects.select_related("policy").get(public_id=created.id)
    assert license.workspace is None
    assert license.metadata == {"dodo_customer_id": "cus_dodo123"}
    assert created.customer_id == "cus_dodo123"
    # The key carries its own limit; no policy is cloned for it.
    assert created.activations_limit == 7 and license.max_activations == 7 and license.activation_limit == 7
    assert license.policy == policy and Policy.objects.count() == 1
    assert created.expires_at is None and license.expires_at is None


def test_list_license_keys_with_filters_and_pages(staff, policy, workspace, other_workspace):
    active = [LicenseFactory(policy=policy, workspace=workspace) for _ in range(3)]
    suspended = LicenseFactory(policy=policy, workspace=other_workspace, status=LicenseStatus.SUSPENDED)
    ActivationFactory(license=active[0])

    everything = staff.license_keys.list(page_size=100)
    assert {item.id for item in everything.items} == {lic.public_id for lic in [*active, suspended]}
    assert {item.id: item.instances_count for item in everything.items}[active[0].public_id] == 1

    disabled = staff.license_keys.list(status="disabled")
    assert [item.id for item in disabled.items] == [suspended.public_id]
    by_customer = staff.license_keys.list(customer_id=other_workspace.slug)
    assert [item.id for item in by_customer.items] == [suspended.public_id]
    assert staff.license_keys.list(product_id="no-such-product").items == []

    first = staff.license_keys.list(page_size=3, page_number=0).items
    second = staff.license_keys.list(page_size=3, page_number=1).items
    assert len(first) == 3 and len(second) == 1
    assert {item.id for item in first + second} == {item.id for item in everything.items}


def test_retrieve_and_update_license_key(staff, license):
    assert staff.license_keys.retrieve(license.public_id).key == license.plaintext_key

    disabled = staff.license_keys.update(license.public_id, disabled=True)
    assert disabled.status == "disabled"
    license.refresh_from_db()
    assert license.status == LicenseStatus.SUSPENDED

    enabled = staff.license_keys.update(
        license.public_id, disabled=False, activations_limit=5, expires_at=None
    )
    assert (enabled.status, enabled.activations_limit, enabled.expires_at) == ("active", 5, None)
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE and license.expires_at is None
    assert license.max_activations == 5 and license.activation_limit == 5
    assert Policy.objects.filter(product=license.policy.product).count() == 1


def test_enabling_a_revoked_key_is_refused_with_422_not_a_retried_409(staff, license):
    License.objects.filter(pk=license.pk).update(status=LicenseStatus.REVOKED)
    with pytest.raises(dodopayments.UnprocessableEntityError):
        staff.license_keys.update(license.public_id, disabled=False)
    assert staff.license_keys.retrieve(license.public_id).status == "disabled"


def test_unknown_license_key_id_is_404(staff):
    with pytest.raises(dodopayments.NotFoundError):
        staff.license_keys.retrieve("lic_nope")


def test_license_keys_need_a_staff_token(sdk, license, workspace, member):
    with pytest.raises(dodopayments.AuthenticationError):
        sdk("not-a-token").license_keys.list()
    member_token = developer_token_rotate(actor=member).plaintext
    with pytest.raises(dodopayments.PermissionDeniedError):
        sdk(member_token).license_keys.list()
    with pytest.raises(dodopayments.PermissionDeniedError):
        sdk(member_token).license_keys.create(
            customer_id=workspace.slug, key="SNEAKY-1", product_id="emulator"
        )
    with pytest.raises(dodopayments.PermissionDeniedError):
        sdk(member_token).license_key_instances.list()
    assert not License.objects.filter(key_suffix="KY-1").exists()


# ---------------------------------------------------------------- staff: license_key_instances


def test_license_key_instances_list_retrieve_update(staff, license, policy):
    mine = [ActivationFactory(license=license, name=f"box-{n}") for n in range(2)]
    ActivationFactory(license=LicenseFactory(policy=policy))

    listed = staff.license_key_instances.list(license_key_id=license.public_id)
    assert {item.id for item in listed.items} == {a.public_id for a in mine}
    assert all(item.license_key_id == license.public_id for item in listed.items)
    assert len(staff.license_key_instances.list().items) == 3
    assert staff.license_key_instances.list(grant_id="grant_1").items == []

    fetched = staff.license_key_instances.retrieve(mine[0].public_id)
    assert (fetched.name, fetched.license_key_id) == ("box-0", license.public_id)

    renamed = staff.license_key_instances.update(mine[0].public_id, name="renamed")
    assert renamed.name == "renamed"
    mine[0].refresh_from_db()
    assert mine[0].name == "renamed"

    with pytest.raises(dodopayments.NotFoundError):
        staff.license_key_instances.retrieve("act_nope")


def test_user_less_and_encrypted_keys_still_fit_dodos_types(sdk, staff, product):
    encrypted = PolicyFactory(product=product, encrypted=True, max_activations=None)
    license = LicenseFactory(
        policy=encrypted, metadata={"dodo_customer_id": "cus_1", "dodo_payment_id": "pay_1"}
    )

    instance = sdk().licenses.activate(license_key=license.plaintext_key, name="kiosk")
    assert instance.customer.customer_id == "cus_1"
    assert (instance.customer.email, instance.customer.name) == ("", "")

    fetched = staff.license_keys.retrieve(license.public_id)
    assert fetched.key == f"…{license.plaintext_key[-4:]}"  # an encrypted policy never shows the key again
    assert (fetched.activations_limit, fetched.payment_id, fetched.subscription_id) == (None, "pay_1", None)
    assert fetched.instances_count == 1
