"""Writes for auth tokens: issue, rotate, rename, revoke, leak reports and usage telemetry.

Every write that touches a token's secret or its life is recorded in the
workspace's security log. A new plaintext leaves this module only inside an
IssuedToken, returned to the caller that asked for it (create or rotate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Capability, Membership, Role, User
from project.errors import DomainError, ErrorKind, forbidden, not_found
from project.logs import log_change
from project.mail import email_send
from project.request_context import current_client_ip
from project.text import refuse_control_characters
from webhooks import events

from . import tokens, usage
from .models import AuthToken, RevokeReason, SecurityAction, SecurityEvent, TokenKind

NAME_MAX = 100
LABEL_MAX = 100


@dataclass(frozen=True)
class IssuedToken:
    """A token with its one and only plaintext copy (not in repr: it must never reach a log)."""

    token: AuthToken
    plaintext: str = field(repr=False)


# ---------------------------------------------------------------- helpers


def _new_secret(token: AuthToken) -> str:
    plaintext = tokens.generate(token.kind)
    token.token_hash = tokens.hash_token(plaintext)
    token.last4 = tokens.last4(plaintext)
    token.revealed = True
    return plaintext


_clean_ip = usage.clean_ip


def _log(
    token: AuthToken,
    action: str,
    *,
    actor: User | None,
    ip: str | None = None,
    detail: str = "",
    actor_label: str = "",
) -> SecurityEvent:
    log_change(
        action,
        workspace_id=token.workspace_id,
        actor=actor_label or (actor.email if actor else "Keyward"),
        token_kind=token.kind,
        token_last4=token.last4,
    )  # noqa: E501
    return SecurityEvent.objects.create(
        workspace_id=token.workspace_id,
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else "Keyward"),
        ip=_clean_ip(ip if ip is not None else current_client_ip()),
        token=token,
        token_kind=token.kind,
        token_last4=token.last4,
        token_name=token.name
        if token.is_ci
        else (token.membership.user.email if token.membership_id else ""),
        detail=detail[:500],
    )


def security_event_record(
    *, workspace_id: int, action: str, actor: User | None, ip: str | None = None, detail: str = ""
) -> SecurityEvent:
    """An event that is not about a token (a member removed, a seat assigned, a secret parameter
    revealed), in the workspace's log; `detail` names the target. The IP defaults to the request's."""
    log_change(
        action, workspace_id=workspace_id, actor=actor.email if actor else "Keyward", detail=detail[:500]
    )
    return SecurityEvent.objects.create(
        workspace_id=workspace_id,
        action=action,
        actor=actor,
        actor_label=actor.email if actor else "Keyward",
        ip=_clean_ip(ip if ip is not None else current_client_ip()),
        detail=detail[:500],
    )


def _tokens_page_url(token: AuthToken) -> str:
    return settings.SITE_URL + reverse("authtokens:tokens", kwargs={"workspace_slug": token.workspace.slug})


def _require_manage_ci(actor: Membership, token: AuthToken | None = None) -> None:
    if token is not None and (token.workspace_id != actor.workspace_id or not token.is_ci):
        raise not_found("CI token")
    if not actor.has_capability(Capability.MANAGE_CI_TOKENS):
        raise forbidden("You need the “manage CI tokens” permission to do that; ask a workspace admin.")


def _require_live(token: AuthToken) -> None:
    if token.is_revoked:
        raise DomainError(
            "TOKEN_REVOKED",
            "This token is revoked and stays revoked; create a new CI token instead.",
            kind=ErrorKind.CONFLICT,
        )


def _clean_name(name: str, workspace_id: int, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(
            "NAME_REQUIRED", "Give the CI token a name, such as the pipeline that uses it.", field="name"
        )
    if len(name) > NAME_MAX:
        raise DomainError("NAME_TOO_LONG", f"Keep the name to {NAME_MAX} characters.", field="name")
    refuse_control_characters(name, what="The token name")
    taken = AuthToken.objects.filter(
        workspace_id=workspace_id, kind=TokenKind.CI, revoked_at__isnull=True, name__iexact=name
    ).exclude(pk=exclude_pk)
    if taken.exists():
        raise DomainError(
            "NAME_TAKEN", f"A live CI token is already called “{name}”; choose another name.", field="name"
        )
    return name


def _clean_label(label: str) -> str:
    label = (label or "").strip()
    if len(label) > LABEL_MAX:
        raise DomainError("LABEL_TOO_LONG", f"Keep the label to {LABEL_MAX} characters.", field="label")
    return refuse_control_characters(label, field="label", what="The label")


def _clean_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            "EXPIRY_IN_PAST", "Choose an expiry date in the future, or leave it empty.", field="expires_at"
        )
    return expires_at


def _locked(token: AuthToken) -> AuthToken:
    return (
        AuthToken.objects.select_for_update(of=("self",))  # PostgreSQL: membership is a nullable outer join
        .select_related("workspace", "membership__user")
        .get(pk=token.pk)
    )


def _revoke(token: AuthToken, reason: str) -> None:
    token.revoked_at = timezone.now()
    token.revoke_reason = reason
    token.save(update_fields=["revoked_at", "revoke_reason"])
    events.emit("token.leaked" if reason == RevokeReason.LEAKED else "token.revoked", token)


def _rotate(token: AuthToken) -> str:
    plaintext = _new_secret(token)
    token.rotated_at = timezone.now()
    token.revoked_at = None
    token.revoke_reason = ""
    token.is_legacy = False  # a fresh value is never a legacy one
    token.sunset_at = None
    token.save(
        update_fields=[
            "token_hash",
            "last4",
            "revealed",
            "rotated_at",
            "revoked_at",
            "revoke_reason",
            "is_legacy",
            "sunset_at",
        ]
    )
    return plaintext


# ---------------------------------------------------------------- developer tokens


@transaction.atomic
def developer_token_issue(*, membership: Membership) -> AuthToken:
    """Every membership's token. Its value is never shown: the member resets it to get one."""
    existing = AuthToken.objects.filter(membership=membership, kind=TokenKind.DEVELOPER).first()
    if existing is not None:
        return existing
    token = AuthToken(
        public_id=tokens.new_public_id(),
        kind=TokenKind.DEVELOPER,
        workspace_id=membership.workspace_id,
        membership=membership,
        created_by=membership.user,
    )
    _new_secret(token)  # the plaintext is dropped here on purpose
    token.revealed = False
    token.save()
    _log(token, SecurityAction.TOKEN_CREATED, actor=membership.user, detail="Issued with the membership.")
    events.emit("token.created", token)
    return token


@transaction.atomic
def developer_token_rotate(*, actor: Membership, ip: str | None = None) -> IssuedToken:
    """Resets the caller's own developer token: the old value dies now and the new one is returned once."""
    token = AuthToken.objects.filter(membership=actor, kind=TokenKind.DEVELOPER).first()
    if token is None:  # a membership made before tokens existed
        token = developer_token_issue(membership=actor)
    token = _locked(token)
    old_last4, first_reveal = token.last4, not token.revealed
    plaintext = _rotate(token)
    detail = "First value revealed." if first_reveal else f"Replaced …{old_last4}."
    _log(token, SecurityAction.TOKEN_ROTATED, actor=actor.user, ip=ip, detail=detail)
    transaction.on_commit(lambda: _send_reset_email(token, ip))
    return IssuedToken(token=token, plaintext=plaintext)


@transaction.atomic
def developer_token_end(*, membership: Membership, actor: User | None, ip: str | None = None) -> None:
    """Called when a member leaves or is removed: their token stops working at once."""
    for token in (
        AuthToken.objects.select_for_update(of=("self",))
        .select_related("membership__user")
        .filter(membership=membership, kind=TokenKind.DEVELOPER, revoked_at__isnull=True)
    ):
        _revoke(token, RevokeReason.MEMBER_REMOVED)
        _log(token, SecurityAction.TOKEN_ENDED, actor=actor, ip=ip)


# ---------------------------------------------------------------- CI tokens


@transaction.atomic
def ci_token_create(
    *,
    actor: Membership,
    name: str,
    label: str = "",
    expires_at: datetime | None = None,
    parameter_stages: list[str] | str | None = None,
    ip: str | None = None,
) -> IssuedToken:
    """A new CI token; `parameter_stages` limits the parameter stages it reads (empty: every stage)."""
    from parameters.naming import clean_stage_list  # parameters builds on authtokens, not the reverse

    _require_manage_ci(actor)
    token = AuthToken(
        public_id=tokens.new_public_id(),
        kind=TokenKind.CI,
        workspace_id=actor.workspace_id,
        name=_clean_name(name, actor.workspace_id),
        label=_clean_label(label),
        expires_at=_clean_expiry(expires_at),
        parameter_stages=clean_stage_list(parameter_stages),
        created_by=actor.user,
    )
    plaintext = _new_secret(token)
    token.save()
    _log(token, SecurityAction.TOKEN_CREATED, actor=actor.user, ip=ip)
    events.emit("token.created", token)
    return IssuedToken(token=token, plaintext=plaintext)


@transaction.atomic
def ci_token_update(
    *,
    actor: Membership,
    token: AuthToken,
    name: str | None = None,
    label: str | None = None,
    ip: str | None = None,
) -> AuthToken:
    """Renames or relabels a CI token. Fields left as None stay as they are."""
    _require_manage_ci(actor, token)
    token = _locked(token)
    _require_live(token)
    changes = {}
    if name is not None:
        changes["name"] = _clean_name(name, token.workspace_id, exclude_pk=token.pk)
    if label is not None:
        changes["label"] = _clean_label(label)
    changes = {key: value for key, value in changes.items() if getattr(token, key) != value}
    if changes:
        before = f"{token.name} / {token.label or '-'}"
        for key, value in changes.items():
            setattr(token, key, value)
        token.save(update_fields=list(changes))
        _log(
            token,
            SecurityAction.TOKEN_RENAMED,
            actor=actor.user,
            ip=ip,
            detail=f"Was {before}; now {token.name} / {token.label or '-'}.",
        )
    return token


@transaction.atomic
def ci_token_rotate(*, actor: Membership, token: AuthToken, ip: str | None = None) -> IssuedToken:
    _require_manage_ci(actor, token)
    token = _locked(token)
    _require_live(token)
    old_last4 = token.last4
    plaintext = _rotate(token)
    _log(token, SecurityAction.TOKEN_ROTATED, actor=actor.user, ip=ip, detail=f"Replaced …{old_last4}.")
    return IssuedToken(token=token, plaintext=plaintext)


@transaction.atomic
def ci_token_revoke(*, actor: Membership, token: AuthToken, ip: str | None = None) -> AuthToken:
    """Revokes a CI token for good. Revoking a revoked token changes nothing."""
    _require_manage_ci(actor, token)
    token = _locked(token)
    if not token.is_revoked:
        _revoke(token, RevokeReason.MANUAL)
        _log(token, SecurityAction.TOKEN_REVOKED, actor=actor.user, ip=ip)
    return token


# ---------------------------------------------------------------- staff (Django admin)


@transaction.atomic
def token_revoke_by_staff(*, token: AuthToken, staff_user: User) -> AuthToken:
    if not staff_user.is_staff:
        raise forbidden("Only support staff can revoke tokens from the admin.")
    token = _locked(token)
    if not token.is_revoked:
        _revoke(token, RevokeReason.STAFF)
        _log(token, SecurityAction.TOKEN_REVOKED, actor=staff_user, detail="Revoked by support staff.")
    return token


@transaction.atomic
def token_mark_legacy(*, token: AuthToken, sunset_at: datetime, staff_user: User) -> AuthToken:
    """Marks a token legacy: it works (with a deprecation warning) until sunset_at, then is refused."""
    if not staff_user.is_staff:
        raise forbidden("Only support staff can mark tokens legacy.")
    token = _locked(token)
    token.is_legacy = True
    token.sunset_at = sunset_at
    token.save(update_fields=["is_legacy", "sunset_at"])
    _log(
        token, SecurityAction.TOKEN_MARKED_LEGACY, actor=staff_user, detail=f"Sunset on {sunset_at:%Y-%m-%d}."
    )
    return token


# ---------------------------------------------------------------- leak reports


@transaction.atomic
def leak_report_process(*, reports: list[dict], ip: str | None = None) -> list[dict]:
    """Revokes every live token in a (signature-checked) secret scanning report; labels each reported token.

    true_positive: the value is a token Keyward issued (its current value), live or already revoked.
    false_positive: anything else (malformed, bad checksum, unknown or rotated away).
    """
    results, seen = [], set()
    for report in reports:
        raw = str(report.get("token", ""))
        digest = tokens.hash_token(raw)
        token = None
        if digest not in seen and tokens.parse_kind(raw):
            token = (
                AuthToken.objects.select_for_update(of=("self",))
                .select_related("workspace", "membership__user")
                .filter(token_hash=digest)
                .first()
            )
        seen.add(digest)
        if token is not None and not token.is_revoked:
            _revoke(token, RevokeReason.LEAKED)
            url, source = str(report.get("url", ""))[:300], str(report.get("source", ""))[:50]
            _log(
                token,
                SecurityAction.TOKEN_LEAKED,
                actor=None,
                ip=ip,
                actor_label="Secret scanning",
                detail=f"Found at {url} ({source or 'unknown source'}).",
            )
            transaction.on_commit(lambda token=token, url=url: _send_leak_email(token, url))
        results.append(
            {
                "token_hash": digest,
                "token_type": str(report.get("type", ""))[:100],
                "label": "true_positive" if token is not None else "false_positive",
            }
        )
    return results


# ---------------------------------------------------------------- usage telemetry


def token_record_use(*, token: AuthToken, ip: str | None) -> None:
    """Counts one use of a token: in the shared client cache, flushed every minute, or (without
    Redis) one upsert of today's usage row (see usage.py).

    The token's use count, last use and last IP are read from the usage rows
    (selectors._with_usage), so nothing else needs writing.
    """
    usage.record(token, ip)


# ---------------------------------------------------------------- e-mails


def _admin_emails(workspace_id: int) -> list[str]:
    return list(
        Membership.objects.filter(
            workspace_id=workspace_id, role__in=[Role.OWNER, Role.ADMIN], user__is_active=True
        ).values_list("user__email", flat=True)
    )


def _owner_emails(token: AuthToken) -> list[str]:
    if token.is_ci:
        return _admin_emails(token.workspace_id)
    return [token.membership.user.email] if token.membership_id else []


def _send_reset_email(token: AuthToken, ip: str | None) -> None:
    email_send(
        subject=f"Your Keyward developer token for {token.workspace.name} was reset",
        body=(
            f"Your developer auth token for {token.workspace.name} was reset on "
            f"{token.rotated_at:%Y-%m-%d %H:%M} UTC{f' from {ip}' if ip else ''}. "
            f"The new token ends in …{token.last4}; the previous one no longer works.\n\n"
            f"If this was not you, reset it again at {_tokens_page_url(token)} and tell a workspace admin."
        ),
        to=_owner_emails(token),
    )


def _send_leak_email(token: AuthToken, url: str) -> None:
    recipients = _owner_emails(token)
    if not recipients:
        return
    what = f"CI token “{token.name}”" if token.is_ci else "developer token"
    replace = "create a new CI token" if token.is_ci else "reset your developer token"
    email_send(
        subject=f"Keyward revoked a leaked {what} in {token.workspace.name}",
        body=(
            f"The {what} {token.masked} of {token.workspace.name} was found in public at:\n"
            f"{url or '(no URL given)'}\n\n"
            f"It has been revoked and no longer works. Remove it from that place, then {replace} at "
            f"{_tokens_page_url(token)} and update whatever used it."
        ),
        to=recipients,
    )
