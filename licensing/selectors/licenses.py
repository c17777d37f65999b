"""Reads for licenses. Workspace reads always take the workspace; `staff_*` reads are staff-only."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Capability, Membership, Workspace
from project.errors import DomainError, not_found

from ..models import Activation, License, LicenseStatus, LicenseValidationDay, Policy, Product

UNASSIGNED = "none"


def _base() -> QuerySet[License]:
    return License.objects.select_related("policy__product", "workspace", "assignee__user")


def status_q(status: str) -> Q:
    """SQL for an effective status: expired is an active license past its expiry."""
    now = timezone.now()
    if status == LicenseStatus.EXPIRED:
        return Q(status=LicenseStatus.ACTIVE, expires_at__lte=now)
    if status == LicenseStatus.ACTIVE:
        return Q(status=LicenseStatus.ACTIVE) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return Q(status=status)


def _product_q(product) -> Q:
    if isinstance(product, Product):
        return Q(policy__product=product)
    if isinstance(product, int) or (isinstance(product, str) and product.isascii() and product.isdigit()):
        if int(product) > 2**63 - 1:
            return Q(pk__in=[])  # no id is that large
        return Q(policy__product_id=int(product))
    return Q(policy__product__code=product)


def _search_q(search: str) -> Q:
    """The key's last characters (what support reads out), or the name, or the public id."""
    search = search.strip()
    query = Q(name__icontains=search) | Q(public_id=search)
    if len(search) <= len("XXXX"):
        query |= Q(key_suffix__iendswith=search)
    else:
        query |= Q(key__iendswith=search)  # only keys whose plaintext is kept can match a longer tail
    return query


def _filter(queryset, *, status=None, product=None, search=None) -> QuerySet[License]:
    if status:
        queryset = queryset.filter(status_q(status))
    if product:
        queryset = queryset.filter(_product_q(product))
    if search and search.strip():
        queryset = queryset.filter(_search_q(search))
    return queryset


def held_by(membership) -> Q:
    """A member's own seats plus the workspace's shared (unassigned) trial."""
    return Q(assignee=membership) | Q(is_trial=True, assignee__isnull=True)


def license_list(
    *,
    workspace: Workspace,
    status: str | None = None,
    product=None,
    assignee=None,
    search: str | None = None,
    holder: Membership | None = None,
) -> QuerySet[License]:
    """A workspace's licenses, with `activation_count`.

    `assignee` is a Membership, a membership id, or "none" for free seats;
    `holder` limits the list to what one member holds (for members who cannot
    manage licenses).
    """
    queryset = _filter(_base().filter(workspace=workspace), status=status, product=product, search=search)
    if assignee == UNASSIGNED:
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee=assignee)
    if holder is not None:
        queryset = queryset.filter(held_by(holder))
    return queryset.annotate(activation_count=Count("activations")).order_by("-created_at", "-pk")


def _visible_to(viewer: Membership) -> Q:
    """What a member may see: every license of the workspace with manage_licenses, else what they hold."""
    scope = Q(workspace_id=viewer.workspace_id)
    if viewer.has_capability(Capability.MANAGE_LICENSES):
        return scope
    return scope & held_by(viewer)


def license_get(*, viewer: Membership, public_id: str, with_activations: bool = False) -> License:
    """A license the viewer may see; anything else (another workspace's, or one a member without
    manage_licenses does not hold) is NOT_FOUND, on every door alike."""
    queryset = _base().filter(_visible_to(viewer), public_id=public_id)
    if with_activations:
        queryset = queryset.prefetch_related(
            Prefetch("activations", queryset=Activation.objects.select_related("membership__user"))
        )
    license = queryset.first()
    if license is None:
        raise not_found("license")
    return license


def license_get_for_change(*, actor: Membership, public_id: str) -> License:
    """A license of the actor's workspace that a write is about to act on. Not filtered by what the
    actor may see: the service decides, so a member without manage_licenses hears why (403)."""
    license = _base().filter(workspace_id=actor.workspace_id, public_id=public_id).first()
    if license is None:
        raise not_found("license")
    return license


def activation_get(*, license: License, public_id: str) -> Activation:
    activation = (
        Activation.objects.select_related("license").filter(license=license, public_id=public_id).first()
    )
    if activation is None:
        raise not_found("activation")
    return activation


def staff_license_list(
    *,
    workspace=None,
    status: str | None = None,
    product=None,
    policy=None,
    source: str | None = None,
    search: str | None = None,
) -> QuerySet[License]:
    """Every license, for staff. `workspace` is a Workspace, its slug, or "none" for user-less keys."""
    queryset = _filter(_base(), status=status, product=product, search=search)
    if workspace == UNASSIGNED:
        queryset = queryset.filter(workspace__isnull=True)
    elif isinstance(workspace, Workspace):
        queryset = queryset.filter(workspace=workspace)
    elif workspace:
        queryset = queryset.filter(workspace__slug=workspace)
    if policy:
        queryset = queryset.filter(policy_id=policy)
    if source:
        queryset = queryset.filter(source=source)
    return queryset.order_by("-created_at", "-pk")


def staff_license_get(*, public_id: str) -> License:
    license = _base().filter(public_id=public_id).first()
    if license is None:
        raise not_found("license")
    return license


def _usable_first() -> Case:
    """Orders a member's licenses: usable, then suspended, then expired, then revoked."""
    now = timezone.now()
    return Case(
        When(
            Q(status=LicenseStatus.ACTIVE) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)),
            then=Value(0),
        ),
        When(status=LicenseStatus.SUSPENDED, then=Value(1)),
        When(status=LicenseStatus.ACTIVE, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def license_list_for_member(*, membership: Membership) -> list[License]:
    """Everything a member holds (their seats and the workspace trial), with activations, for My License."""
    return list(
        _base()
        .filter(workspace_id=membership.workspace_id, policy__ci_only=False)
        .filter(held_by(membership))
        .prefetch_related(
            Prefetch("activations", queryset=Activation.objects.select_related("membership__user"))
        )
        .annotate(rank=_usable_first())
        .order_by("is_trial", "rank", "-created_at")
    )


def license_assignable(*, workspace: Workspace) -> QuerySet[License]:
    """Free seats that can be handed out: unassigned, not revoked, not the shared trial."""
    return (
        _base()
        .filter(workspace=workspace, assignee__isnull=True, is_trial=False, policy__ci_only=False)
        .exclude(status=LicenseStatus.REVOKED)
        .order_by("policy__product__name", "policy__name", "created_at")
    )


def seat_usage_by_product(*, workspace: Workspace) -> list[dict]:
    """Per product, how many seats (licenses that are not the trial and not revoked) are assigned,
    in one query: "N of M seats used" on the members page."""
    rows = (
        License.objects.filter(workspace=workspace, is_trial=False)
        .exclude(status=LicenseStatus.REVOKED)
        .values("policy__product__name")
        .annotate(total=Count("pk"), used=Count("pk", filter=Q(assignee__isnull=False)))
        .order_by("policy__product__name")
    )
    return [
        {"product": row["policy__product__name"], "used": row["used"], "total": row["total"]} for row in rows
    ]


def member_has_activated(*, membership: Membership) -> bool:
    """Whether this member has activated the software on a machine here (the overview's checklist)."""
    return Activation.objects.filter(
        membership=membership, license__workspace_id=membership.workspace_id
    ).exists()


def workspace_has_licenses(*, workspace: Workspace) -> bool:
    return License.objects.filter(workspace=workspace).exists()


def workspace_trial(*, workspace: Workspace) -> License | None:
    return _base().filter(workspace=workspace, is_trial=True).first()


def license_product_choices(*, workspace: Workspace) -> QuerySet[Product]:
    return Product.objects.filter(policies__licenses__workspace=workspace).distinct().order_by("name")


def license_validation_days(*, license: License, days: int = 30) -> list[tuple]:
    """[(date, count)] for the last `days` days, oldest first, with zero for days without validations."""
    today = timezone.now().date()
    start = today - timedelta(days=days - 1)
    counts = dict(
        LicenseValidationDay.objects.filter(license=license, day__gte=start).values_list("day", "count")
    )
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)]


def license_status_counts(*, workspace: Workspace) -> dict[str, int]:
    """How many licenses per effective status, in one query."""
    aggregates = {status: Count("pk", filter=status_q(status)) for status in LicenseStatus.values}
    aggregates["assigned"] = Count("pk", filter=Q(assignee__isnull=False))
    aggregates["unassigned"] = Count(
        "pk", filter=Q(assignee__isnull=True, is_trial=False) & ~Q(status=LicenseStatus.REVOKED)
    )
    aggregates["total"] = Count("pk")
    return License.objects.filter(workspace=workspace).aggregate(**aggregates)


def staff_workspace_get(*, slug) -> Workspace:
    """A workspace named in a staff request; a wrong slug is bad input (400), not a missing page."""
    workspace = Workspace.objects.filter(slug=slug).first() if isinstance(slug, str) else None
    if workspace is None:
        raise DomainError("WORKSPACE_NOT_FOUND", "No workspace has this slug; check it.", field="workspace")
    return workspace


def product_list() -> QuerySet[Product]:
    return Product.objects.order_by("name")


def policy_list(*, product=None) -> QuerySet[Policy]:
    queryset = Policy.objects.select_related("product")
    if isinstance(product, Product):
        queryset = queryset.filter(product=product)
    elif isinstance(product, int) or (isinstance(product, str) and product.isdigit()):
        queryset = queryset.filter(product_id=int(product))
    elif product:
        queryset = queryset.filter(product__code=product)
    return queryset.order_by("product__name", "name")
