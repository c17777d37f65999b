"""Demo data for auth tokens: every demo member already has a developer token (it comes with the
membership); each demo workspace gets two CI tokens with a little usage history. Idempotent."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Workspace

from . import services
from .models import AuthToken, TokenKind, TokenUsageDay

CI_TOKENS = [("GitHub Actions: tests", "backend"), ("Nightly release", "release team")]


def _usage(token: AuthToken, base: int) -> None:
    today = timezone.now().date()
    for days_ago in range(30):
        uses = (base * (days_ago % 7 + 1)) % 23
        if uses:
            TokenUsageDay.objects.get_or_create(
                token=token,
                day=today - timedelta(days=days_ago),
                defaults={
                    "uses": uses,
                    "last_used_at": timezone.now() - timedelta(days=days_ago),
                    "last_used_ip": "192.0.2.10",
                },
            )


@transaction.atomic
def seed() -> list[str]:
    for membership in Membership.objects.select_related("user", "workspace"):
        services.developer_token_issue(membership=membership)  # no-op when it exists
    for workspace in Workspace.objects.filter(slug__in=["acme", "globex"]):
        owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user").first()
        if owner is None:
            continue
        for index, (name, label) in enumerate(CI_TOKENS, start=1):
            token = AuthToken.objects.filter(workspace=workspace, kind=TokenKind.CI, name=name).first()
            if token is None:
                # The plaintext is dropped on purpose: the demo prints no secret.
                token = services.ci_token_create(actor=owner, name=name, label=label).token
            _usage(token, base=index * 5)
    return [
        "  Auth tokens: every member has a developer token; reset it on the Auth tokens page to see a value."
    ]
