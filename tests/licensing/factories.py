"""factory-boy factories for licensing.

LicenseFactory stores the key the way the service does (hash, suffix, and the
plaintext only for a policy that is not encrypted). The plaintext is always
left on the instance as `license.plaintext_key`, so tests can send it to the
client API:

    license = LicenseFactory(workspace=workspace, assignee=member)
    client.post("/api/v1/licenses/validate", {"key": license.plaintext_key})
"""

from datetime import timedelta

import factory
from django.utils import timezone

from licensing.keys import generate_key, hash_key, key_suffix, normalize_key, public_id
from licensing.models import (
    Activation,
    License,
    LicenseSource,
    LicenseStatus,
    LicenseValidationDay,
    Policy,
    Product,
)
from tests.factories import WorkspaceFactory  # noqa: F401  (re-exported for convenience)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Product {n}")
    code = factory.Sequence(lambda n: f"product-{n}")


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Plan {n}")
    duration = timedelta(days=365)
    max_activations = 3
    key_prefix = "KW"
    allow_ci = False
    encrypted = False


class LicenseFactory(factory.django.DjangoModelFactory):
    """A license. Pass `key="..."` to choose the key; `expires_at` defaults from the policy's duration."""

    class Meta:
        model = License

    policy = factory.SubFactory(PolicyFactory)
    workspace = None
    assignee = None
    status = LicenseStatus.ACTIVE
    source = LicenseSource.MANUAL
    name = ""
    metadata = factory.LazyFunction(dict)
    expires_at = factory.LazyAttribute(
        lambda o: timezone.now() + o.policy.duration if o.policy.duration is not None else None
    )

    @classmethod
    def _create(cls, model_class, *args, key=None, **kwargs):
        plaintext = normalize_key(key or generate_key(kwargs["policy"].key_prefix))
        if kwargs.get("assignee") is not None and kwargs.get("workspace") is None:
            kwargs["workspace"] = kwargs["assignee"].workspace
        license = model_class(
            public_id=public_id("lic"),
            key_hash=hash_key(plaintext),
            key=None if kwargs["policy"].encrypted else plaintext,
            key_suffix=key_suffix(plaintext),
            **kwargs,
        )
        license.save()
        license.plaintext_key = plaintext
        return license


class ActivationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activation

    public_id = factory.LazyFunction(lambda: public_id("act"))
    license = factory.SubFactory(LicenseFactory)
    fingerprint = factory.Sequence(lambda n: f"machine-fingerprint-{n:04d}")
    name = factory.Sequence(lambda n: f"laptop-{n}")
    platform = "linux"
    last_heartbeat_at = factory.LazyFunction(timezone.now)


class LicenseValidationDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicenseValidationDay

    license = factory.SubFactory(LicenseFactory)
    day = factory.LazyFunction(lambda: timezone.now().date())
    count = 1


class raises_code:  # noqa: N801 - used like pytest.raises
    """`with raises_code("LICENSE_KEY_TAKEN") as error:` asserts a DomainError with that code.

    After the block, `error.value` is the DomainError (its field, kind and message).
    """

    def __init__(self, code):
        self.code = code
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        from project.errors import DomainError

        assert exc_type is not None, f"expected DomainError {self.code}, nothing was raised"
        assert issubclass(exc_type, DomainError), (
            f"expected DomainError {self.code}, got {exc_type.__name__}: {exc}"
        )
        assert exc.code == self.code, f"expected {self.code}, got {exc.code}: {exc.message}"
        self.value = exc
        return True
