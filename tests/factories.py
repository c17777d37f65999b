"""factory-boy factories for accounts. Memberships go through the service's
creation path, so whatever comes with a membership (its developer token) is there."""

import factory
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User, Workspace

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    email_verified = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.MEMBER

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.services import _membership_create

        capabilities = {k: kwargs.pop(k) for k in list(kwargs) if k not in ("user", "workspace", "role")}
        membership = _membership_create(
            user=kwargs["user"], workspace=kwargs["workspace"], role=kwargs["role"]
        )
        if capabilities:
            for name, value in capabilities.items():
                setattr(membership, name, value)
            membership.save(update_fields=list(capabilities))
        return membership


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))
