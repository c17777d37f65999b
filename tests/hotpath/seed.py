"""Set-up data for the two-server hot-path tests, made through Keyward's own services against the
database the servers use. Run as a script with the servers' environment (DATABASE_URL, keys, ...);
prints the secrets the tests need as one JSON object on stdout.

Every test gets objects of its own (a member, a seat, a machine), so the tests do not depend on
their order: `seats[<scenario>]` is {"key", "license", "member", "token", "email"}.
"""

import json
from datetime import timedelta

import django

# The staff user logs in to Django admin (policy changes); the others need no password, and each one
# would cost a slow PBKDF2 hash.
PASSWORD = "hot-path-staff-pw-1"
PRODUCT = "hotpath"
LIMIT = 5
# One member with one seat (and a developer token) per scenario; "limit-key" is a key without one.
SEATED = [
    "suspend",
    "dodo",
    "revoke",
    "unassign",
    "machine",
    "license-edit",
    "rotate",
    "remove",
    "limit-token",
]


def main() -> dict:
    django.setup()
    from django.db import transaction

    from accounts import services as accounts
    from accounts.models import Membership, User
    from authtokens import services as tokens
    from authtokens import vendor_keys
    from authtokens.models import VendorApiKeyAccess
    from licensing.services import catalog, licenses

    with transaction.atomic():
        staff = User.objects.create_user(
            email="staff@hot.test", password=PASSWORD, email_verified=True, is_staff=True, is_superuser=True
        )
        vendor_key = vendor_keys.vendor_api_key_create(
            created_by=staff, name="hot path tests", access=VendorApiKeyAccess.READ_WRITE
        )
        product = catalog.product_create(name="Hot Path", code=PRODUCT)
        common = dict(product=product, duration=timedelta(days=365), max_activations=LIMIT, allow_ci=True)
        policy = catalog.policy_create(name="Seat", **common)
        # The policy-change test edits this one only, so no other test sees its change.
        changing_policy = catalog.policy_create(name="Before", **common)

        owner_user = User.objects.create_user(email="owner@hot.test", password=None, email_verified=True)
        workspace = accounts.workspace_create(owner=owner_user, name="Hot Path", slug="hot")
        owner = Membership.objects.get(workspace=workspace, user=owner_user)
        ci = tokens.ci_token_create(actor=owner, name="pipeline")

        def member(scenario: str) -> Membership:
            email = f"{scenario}@hot.test"
            user = User.objects.create_user(email=email, password=None, email_verified=True)
            invitation = accounts.membership_invite(actor=owner, email=email)
            return accounts.invitation_accept(user=user, invitation=invitation)

        seats = {}
        for scenario in [*SEATED, "policy"]:
            membership = member(scenario)
            license, key = licenses.license_create(
                policy=changing_policy if scenario == "policy" else policy,
                workspace=workspace,
                name=f"{scenario} seat",
            )
            licenses.license_assign(actor=owner, license=license, membership=membership)
            seats[scenario] = {
                "key": key,
                "license": license.public_id,
                "member": membership.pk,
                "email": membership.user.email,
                "token": tokens.developer_token_rotate(actor=membership).plaintext,
            }
        license, key = licenses.license_create(policy=policy, workspace=workspace, name="limit key")
        seats["limit-key"] = {"key": key, "license": license.public_id}

    return {
        "workspace": workspace.slug,
        "product": PRODUCT,
        "limit": LIMIT,
        "policy": changing_policy.pk,
        "seat_policy": policy.pk,
        "staff_email": staff.email,
        "staff_password": PASSWORD,
        "vendor_key": vendor_key.plaintext,
        "owner_token": tokens.developer_token_rotate(actor=owner).plaintext,
        "ci_token": ci.plaintext,
        "ci_token_id": ci.token.public_id,
        "seats": seats,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
