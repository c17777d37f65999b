"""Reads for auth tokens. Everything but token_resolve takes the workspace."""

import hmac
from datetime import date, timedelta

from django.db.models import F, Max, OuterRef, QuerySet, Subquery, Sum
from django.utils import formats, timezone

from accounts import permissions
from accounts.models import Membership, Workspace
from project.errors import DomainError, ErrorKind, not_found

from . import tokens
from .models import AuthToken, SecurityEvent, TokenKind, TokenUsageDay

USAGE_DAYS = 30

INVALID_MESSAGE = (
    "The auth token is not valid; copy it again from the Auth tokens page of your workspace, "
    "or reset it there."
)


def _invalid(message: str = INVALID_MESSAGE) -> DomainError:
    return DomainError("TOKEN_INVALID", message, kind=ErrorKind.UNAUTHENTICATED)


def token_resolve(*, raw_token: str) -> AuthToken:
    """The live token behind a presented value: format and checksum first, then one indexed lookup."""
    token = token_by_digest(*token_digest(raw_token))
    token_check_live(token)
    return token


def token_digest(raw_token: str) -> tuple[str, str]:
    """(kind, stored hash) of a presented token, once its format and checksum are right (no query)."""
    kind = tokens.parse_kind(raw_token)
    if kind is None:
        raise _invalid()
    return kind, tokens.hash_token(raw_token)


def token_by_digest(kind: str, digest: str) -> AuthToken:
    """The token of this kind with this hash (member, user and workspace loaded), live or not;
    TOKEN_INVALID if there is none."""
    token = (
        AuthToken.objects.select_related("membership__user", "membership__workspace", "workspace")
        .defer("membership__user__password")
        .filter(token_hash=digest)
        .first()
    )
    # compare_digest keeps the final comparison constant-time whatever the database did.
    if token is None or token.kind != kind or not hmac.compare_digest(token.token_hash, digest):
        raise _invalid()
    return token


def token_check_live(token: AuthToken) -> None:
    """Refuse a revoked, expired or sunset token, or a developer token whose member or user is gone."""
    if token.is_revoked:
        raise _invalid()
    if token.kind == TokenKind.DEVELOPER and (
        token.membership is None or not token.membership.user.is_active
    ):
        raise _invalid()
    if token.is_sunset:
        when = formats.date_format(token.sunset_at, "Y-m-d")
        fix = (
            "reset your developer token"
            if token.kind == TokenKind.DEVELOPER
            else "ask an admin for a new CI token"
        )
        raise DomainError(
            "LEGACY_TOKEN_SUNSET",
            f"This legacy token stopped working on {when}; "
            f"{fix} on the Auth tokens page and use the new one.",
            kind=ErrorKind.UNAUTHENTICATED,
        )
    if token.is_expired:
        raise _invalid("This auth token has expired; ask a workspace admin for a new CI token.")


def _with_usage(queryset: QuerySet[AuthToken]) -> QuerySet[AuthToken]:
    latest_day = TokenUsageDay.objects.filter(token=OuterRef("pk")).order_by("-day")
    return queryset.annotate(
        use_count=Sum("usage_days__uses", default=0),
        last_used_at=Max("usage_days__last_used_at"),
        last_used_ip=Subquery(latest_day.values("last_used_ip")[:1]),
    )


def developer_token_get(*, membership: Membership) -> AuthToken | None:
    """The member's developer token (live, or revoked after a leak), with usage totals."""
    return (
        _with_usage(AuthToken.objects.filter(membership=membership, kind=TokenKind.DEVELOPER))
        .select_related("workspace", "membership__user")
        .order_by(F("revoked_at").asc(nulls_first=True))  # the live one first
        .first()
    )


def ci_token_list(
    *, workspace: Workspace, include_revoked: bool = False, search: str = ""
) -> QuerySet[AuthToken]:
    queryset = AuthToken.objects.filter(workspace=workspace, kind=TokenKind.CI)
    if not include_revoked:
        queryset = queryset.filter(revoked_at__isnull=True)
    if search:
        queryset = queryset.filter(name__icontains=search) | queryset.filter(label__icontains=search)
    return _with_usage(queryset.select_related("created_by", "workspace")).order_by("name", "id")


def ci_token_get(*, workspace: Workspace, public_id: str) -> AuthToken:
    token = (
        _with_usage(AuthToken.objects.filter(workspace=workspace, kind=TokenKind.CI, public_id=public_id))
        .select_related("created_by", "workspace")
        .first()
    )
    if token is None:
        raise not_found("CI token")
    return token


def token_daily_usage(
    *, viewer: Membership, token: AuthToken, days: int = USAGE_DAYS, today: date | None = None
) -> list[dict]:
    """Uses per day for the last `days` days, oldest first, days without use included as 0.
    FORBIDDEN when the viewer may not see this token's usage (accounts.permissions.usage_refusal)."""
    refusal = permissions.usage_refusal(viewer, token)
    if refusal is not None:
        raise refusal
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    counts = dict(
        TokenUsageDay.objects.filter(token=token, day__gte=first, day__lte=today).values_list("day", "uses")
    )
    series = [
        {"day": first + timedelta(days=n), "uses": counts.get(first + timedelta(days=n), 0)}
        for n in range(days)
    ]
    peak = max((point["uses"] for point in series), default=0)
    for point in series:
        point["percent"] = round(100 * point["uses"] / peak) if peak else 0
    return series


def security_event_list(
    *, viewer: Membership, action: str = "", actor: str = "", since=None, until=None
) -> QuerySet[SecurityEvent]:
    """The viewer's workspace's security log, newest first; FORBIDDEN for members who are not admins
    or owners. `since` and `until` are dates, inclusive, in the current zone."""
    refusal = permissions.security_log_refusal(viewer)
    if refusal is not None:
        raise refusal
    queryset = SecurityEvent.objects.filter(workspace_id=viewer.workspace_id).select_related("actor")
    if action:
        queryset = queryset.filter(action=action)
    if actor:
        queryset = queryset.filter(actor_label__iexact=actor)
    if since:
        queryset = queryset.filter(created_at__date__gte=since)
    if until:
        queryset = queryset.filter(created_at__date__lte=until)
    return queryset.order_by("-created_at", "-id")


def security_event_actors(*, workspace: Workspace) -> list[str]:
    """Everyone who appears in the workspace's log, for the actor filter."""
    labels = SecurityEvent.objects.filter(workspace=workspace).values_list("actor_label", flat=True)
    return sorted(set(labels), key=str.lower)
