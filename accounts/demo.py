"""Demo data for accounts: a staff superuser, two workspaces, a member in each role."""

from django.db import transaction

from . import services
from .models import Membership, Role, User, Workspace

DEMO_PASSWORD = "keyward-demo"
STAFF_EMAIL = "staff@keyward.test"
WORKSPACES = {
    "acme": ("Acme Robotics", ["owner@acme.test", "admin@acme.test", "member@acme.test"]),
    "globex": ("Globex", ["owner@globex.test", "admin@globex.test", "member@globex.test"]),
}
ROLES = [Role.OWNER, Role.ADMIN, Role.MEMBER]


def _user(email: str, **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, email_verified=True, **extra)
    return user


@transaction.atomic
def seed() -> list[str]:
    """Idempotent: running it twice changes nothing. Returns lines to print."""
    _user(STAFF_EMAIL, full_name="Support Staff", is_staff=True, is_superuser=True)
    for slug, (name, emails) in WORKSPACES.items():
        workspace = Workspace.objects.filter(slug=slug).first()
        for email, role in zip(emails, ROLES, strict=True):
            user = _user(email, full_name=email.split("@")[0].title())
            if workspace is None:
                workspace = services.workspace_create(owner=user, name=name, slug=slug)
            elif not Membership.objects.filter(user=user, workspace=workspace).exists():
                services._membership_create(user=user, workspace=workspace, role=role)
    lines = [f"Password for every demo account: {DEMO_PASSWORD}", f"  staff (Django admin): {STAFF_EMAIL}"]
    for slug, (name, emails) in WORKSPACES.items():
        lines.append(
            f"  {name} (/w/{slug}/): " + ", ".join(f"{e} ({r})" for e, r in zip(emails, ROLES, strict=True))
        )
    return lines
