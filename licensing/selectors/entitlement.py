"""The one entitlement answer: which license a member or a CI token runs under, and why not.

Every door asks here, so they cannot disagree: client activate and info, the
license-status endpoint, My license, the members page's seat column and the
overview. The rules:

- A member runs under their own seats (usable first, newest first), then the
  workspace's shared trial, which covers every member the same way.
- A CI token runs under a license of its workspace whose policy allows CI:
  licenses of CI-only policies first, then licenses not assigned to anyone, and
  a member's seat only as the last resort, so CI does not take a member's
  machine slots while a free license exists.
- The answer is VALID with the best usable license, or the refusal of the best
  unusable one: PRODUCT_MISMATCH, LICENSE_NOT_ASSIGNED, LICENSE_SUSPENDED,
  LICENSE_REVOKED or LICENSE_EXPIRED, each with its one-sentence fix.
- A license "is activated" only when it is usable and a machine is activated
  on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Value, When

from accounts.models import Membership, Workspace
from project.errors import DomainError, ErrorKind

from ..models import Activation, License, LicenseStatus
from .licenses import _base, _usable_first, held_by

VALID = "VALID"
VALID_MESSAGE = "The license is valid."

STATUS_REFUSALS = {
    LicenseStatus.SUSPENDED: (
        "LICENSE_SUSPENDED",
        "The license is suspended; ask the vendor to reinstate it.",
    ),
    LicenseStatus.REVOKED: (
        "LICENSE_REVOKED",
        "The license has been revoked; get a new license to continue.",
    ),
    LicenseStatus.EXPIRED: ("LICENSE_EXPIRED", "The license has expired; renew it to continue."),
}


def product_mismatch_message(license: License, product: str) -> str:
    return f"This license is for {license.policy.product.code}, not {product}; use a license for {product}."


def not_assigned_message(*, ci: bool, product: str | None, via_token: bool) -> str:
    if ci:
        for_product = f" for {product}" if product else ""
        return (
            f"No license of this workspace{for_product} allows CI tokens; ask your workspace admin "
            "for a license whose plan allows CI."
        )
    if via_token:
        return (
            "Your token is valid but no license is assigned to you; ask your workspace admin to assign one."
        )
    return "No license is assigned to you; ask your workspace admin to assign one."


@dataclass(frozen=True)
class Entitlement:
    """`license` is what the caller runs under (or the best unusable one, to say why not);
    `candidates` are the usable licenses, best first, for activation to try in order."""

    code: str
    message: str
    license: License | None = None
    candidates: tuple[License, ...] = field(default=())

    @property
    def usable(self) -> bool:
        return self.code == VALID

    @property
    def shared(self) -> bool:
        """The workspace trial: it covers every member, so it is nobody's seat."""
        return self.license is not None and self.license.is_trial and self.license.assignee_id is None

    def refusal(self) -> DomainError:
        field_name = "product" if self.code == "PRODUCT_MISMATCH" else None
        return DomainError(self.code, self.message, kind=ErrorKind.UNPROCESSABLE, field=field_name)


def entitlement_decide(
    licenses: list[License], *, product: str | None = None, ci: bool = False, via_token: bool = False
) -> Entitlement:
    """The answer from a caller's licenses, already ordered best first (a pure function)."""
    not_assigned = Entitlement(
        "LICENSE_NOT_ASSIGNED", not_assigned_message(ci=ci, product=product, via_token=via_token)
    )
    if not licenses:
        return not_assigned
    pool = licenses
    if product:
        pool = [lic for lic in licenses if lic.policy.product.code == product]
        if not pool:
            return Entitlement("PRODUCT_MISMATCH", product_mismatch_message(licenses[0], product))
    if ci:
        pool = [lic for lic in pool if lic.policy.allow_ci or lic.policy.ci_only]
        if not pool:
            return not_assigned
    usable = tuple(lic for lic in pool if lic.effective_status == LicenseStatus.ACTIVE)
    if usable:
        return Entitlement(VALID, VALID_MESSAGE, usable[0], usable)
    code, message = STATUS_REFUSALS[pool[0].effective_status]
    return Entitlement(code, message, pool[0])


def _member_licenses(membership: Membership):
    """A member's own seats (never a CI-only policy's) and the shared trial, best first."""
    return (
        _base()
        .filter(held_by(membership), workspace_id=membership.workspace_id, policy__ci_only=False)
        .annotate(rank=_usable_first())
        .order_by("is_trial", "rank", "-created_at")
    )


def _ci_licenses(workspace_id: int):
    """A workspace's licenses for a CI token, best first: CI-only policies, then free seats,
    then members' seats (so CI takes a member's machine slots only as a last resort)."""
    preference = Case(
        When(policy__ci_only=True, then=Value(0)),
        When(assignee__isnull=True, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        _base()
        .filter(workspace_id=workspace_id)
        .annotate(rank=_usable_first(), preference=preference)
        .order_by("rank", "preference", "created_at")
    )


def member_entitlement(
    *, membership: Membership, product: str | None = None, via_token: bool = False
) -> Entitlement:
    licenses = list(_member_licenses(membership))
    return entitlement_decide(licenses, product=product, via_token=via_token)


def ci_entitlement(*, workspace: Workspace, product: str | None = None) -> Entitlement:
    licenses = list(_ci_licenses(workspace.pk))
    return entitlement_decide(licenses, product=product, ci=True, via_token=True)


def token_licenses(*, token) -> list[License]:
    """The licenses an auth token runs under, best first: a CI token its workspace's, a developer token
    its member's (one query). licensing/snapshots.py keeps this list in the shared cache."""
    if token.kind == "ci":
        queryset = _ci_licenses(token.workspace_id)
    else:
        queryset = _member_licenses(token.membership)
    return list(queryset.defer("key", "assignee__user__password"))


def token_entitlement(
    *, token, product: str | None = None, licenses: list[License] | None = None
) -> Entitlement:
    """What an auth token runs under, from `licenses` (its `token_licenses`, say from a snapshot) or
    read now."""
    if licenses is None:
        licenses = token_licenses(token=token)
    return entitlement_decide(licenses, product=product, ci=token.kind == "ci", via_token=True)


def entitlement_is_activated(
    entitlement: Entitlement,
    *,
    membership: Membership | None = None,
    fingerprint: str = "",
    machines: list[Activation] | None = None,
) -> bool:
    """True only when the license is usable and a machine is activated on it: this machine when a
    fingerprint is given, else any machine of this member (any machine at all for CI). `machines`:
    the license's machines if the caller has them all (licensing/snapshots.py), else one query."""
    if not entitlement.usable:
        return False
    if machines is not None:
        return any(_counts_as_activated(machine, membership, fingerprint) for machine in machines)
    queryset = Activation.objects.filter(license=entitlement.license)
    if fingerprint:
        queryset = queryset.filter(fingerprint=fingerprint)
    elif membership is not None:
        queryset = queryset.filter(membership=membership)
    return queryset.exists()


def _counts_as_activated(machine: Activation, membership: Membership | None, fingerprint: str) -> bool:
    if fingerprint:
        return machine.fingerprint == fingerprint
    return membership is None or machine.membership_id == membership.pk


@dataclass(frozen=True)
class MemberCoverage:
    """The members page's seat column for one member: their own seats, and the trial if it covers them."""

    seats: list[License]
    trial: License | None

    @property
    def covered(self) -> bool:
        return bool(self.seats) or self.trial is not None


def member_coverage(*, workspace: Workspace, memberships) -> dict[int, MemberCoverage]:
    """{membership id: MemberCoverage} in one query: the seats assigned to each member, and the shared
    trial, which covers everyone on this page exactly as it does on My license and in the client."""
    ids = [m.pk if isinstance(m, Membership) else m for m in memberships]
    rows = list(
        _base()
        .filter(workspace=workspace)
        .filter(Q(assignee_id__in=ids) | Q(is_trial=True, assignee__isnull=True))
        .order_by("policy__product__name", "-created_at")
    )
    trial = next((lic for lic in rows if lic.is_trial and lic.assignee_id is None), None)
    seats = {membership_id: [] for membership_id in ids}
    for license in rows:
        if license.assignee_id in seats:
            seats[license.assignee_id].append(license)
    return {membership_id: MemberCoverage(seats[membership_id], trial) for membership_id in ids}
