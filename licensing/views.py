"""Dashboard pages for licenses: the admin list and detail, seat assignment, My License and the trial."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.models import Capability
from accounts.web import apply_domain_error, confirmation_page, read, workspace_view
from project import sealed
from project.errors import DomainError

from .forms import AssignLicenseForm, AssignMemberForm, LicenseFilterForm
from .selectors import licenses as selectors
from .selectors.entitlement import member_coverage, member_entitlement
from .services import licenses as services

PAGE_SIZE = 25
CHART_DAYS = 30


def _or_404(selector, **kwargs):
    """Runs a selector; its NOT_FOUND becomes the dashboard's ordinary 404 page."""
    try:
        return selector(**kwargs)
    except DomainError as error:
        raise Http404(error.message) from None


def _can_manage(request) -> bool:
    return request.membership.has_capability(Capability.MANAGE_LICENSES)


def _require_manage(request) -> None:
    if not _can_manage(request):
        raise PermissionDenied("You need the “manage licenses” permission; ask a workspace admin.")


def _back(request, default: str):
    """Redirects to the form's `next` when it is a local URL, else to `default`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _detail_url(request, license) -> str:
    return reverse(
        "licensing:license_detail",
        kwargs={"workspace_slug": request.workspace.slug, "public_id": license.public_id},
    )


def member_seat_context(*, workspace, actor, memberships) -> dict:
    """Context for the License column of the members page (templates/licensing/_member_seat.html)."""
    can_manage = actor.has_capability(Capability.MANAGE_LICENSES)
    return {
        "license_seats": member_coverage(workspace=workspace, memberships=memberships),
        "assignable_licenses": list(selectors.license_assignable(workspace=workspace)) if can_manage else [],
        "can_manage_licenses": can_manage,
        "seat_usage": selectors.seat_usage_by_product(workspace=workspace) if can_manage else [],
    }


def validation_chart(license, days: int = CHART_DAYS) -> dict:
    series = selectors.license_validation_days(license=license, days=days)
    peak = max((count for _, count in series), default=0)
    bars = [
        {"day": day, "count": count, "height": round(100 * count / peak) if peak else 0}
        for day, count in series
    ]
    return {"bars": bars, "peak": peak, "total": sum(count for _, count in series), "days": days}


# ---------------------------------------------------------------- admin pages


@require_GET
@workspace_view
def licenses(request):
    _require_manage(request)
    workspace = request.workspace
    members = account_selectors.membership_list(workspace=workspace)
    form = LicenseFilterForm(
        request.GET or None,
        products=selectors.license_product_choices(workspace=workspace),
        memberships=members,
    )
    filters = form.filters() if request.GET else {}
    page = Paginator(selectors.license_list(workspace=workspace, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "licensing/licenses.html",
        {
            "form": form,
            "page_obj": page,
            "licenses": page.object_list,
            "filtered": any(filters.values()),
            "counts": selectors.license_status_counts(workspace=workspace),
        },
    )


@require_GET
@workspace_view
def license_detail(request, public_id):
    _require_manage(request)
    license = read(
        selectors.license_get, viewer=request.membership, public_id=public_id, with_activations=True
    )
    return render(
        request,
        "licensing/license_detail.html",
        {
            "license": license,
            "activations": list(license.activations.all()),
            "assign_form": AssignMemberForm(workspace=request.workspace),
            "chart": validation_chart(license),
            "new_key": _new_key_for(request, license),
        },
    )


REKEY_PURPOSE = "license-rekey"


def _new_key_for(request, license) -> str | None:
    """The key of a re-key that just happened, shown once (project/sealed.py: never in a URL or message)."""
    shown = sealed.pop(request, REKEY_PURPOSE)
    return shown["key"] if shown and shown.get("license") == license.public_id else None


@require_POST
@workspace_view
def license_rekey(request, public_id):
    license = read(selectors.license_get_for_change, actor=request.membership, public_id=public_id)
    keep_machines = request.POST.get("keep_machines") == "on"
    asked = confirmation_page(
        request,
        title=f"Replace the key of {license.masked_key}?",
        message="The current key stops working at once. "
        + ("Its machines stay activated." if keep_machines else "Its machines are released."),
        button="Replace the key",
        cancel_url=_detail_url(request, license),
        fields={"keep_machines": "on"} if keep_machines else None,
    )
    if asked:
        return asked
    try:
        license, new_key = services.license_rekey(
            license=license, keep_machines=keep_machines, actor=request.membership
        )
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        sealed.stash(request, REKEY_PURPOSE, {"license": license.public_id, "key": new_key})
        messages.success(request, f"License {license.masked_key} has a new key; the old one no longer works.")
    return redirect(_detail_url(request, license))


@require_POST
@workspace_view
def license_assign(request, public_id):
    license = read(selectors.license_get_for_change, actor=request.membership, public_id=public_id)
    form = AssignMemberForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        messages.error(request, "Choose a member of this workspace to assign the license to.")
        return _back(request, _detail_url(request, license))
    member = form.cleaned_data["member"]
    try:
        services.license_assign(actor=request.membership, license=license, membership=member)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"License {license.masked_key} is now assigned to {member.user.email}.")
    return _back(request, _detail_url(request, license))


def _members_url(request) -> str:
    try:
        return reverse("accounts:members", kwargs={"workspace_slug": request.workspace.slug})
    except NoReverseMatch:
        return reverse("licensing:licenses", kwargs={"workspace_slug": request.workspace.slug})


@require_POST
@workspace_view
def member_seat_assign(request, membership_id):
    """From the members page: give this member one of the free seats."""
    member = _or_404(
        account_selectors.membership_get_in_workspace,
        workspace=request.workspace,
        membership_id=membership_id,
    )
    form = AssignLicenseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a license to assign.")
        return _back(request, _members_url(request))
    license = read(
        selectors.license_get_for_change, actor=request.membership, public_id=form.cleaned_data["license"]
    )
    try:
        services.license_assign(actor=request.membership, license=license, membership=member)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"License {license.masked_key} is now assigned to {member.user.email}.")
    return _back(request, _members_url(request))


@require_POST
@workspace_view
def license_unassign(request, public_id):
    license = read(selectors.license_get_for_change, actor=request.membership, public_id=public_id)
    holder = license.assignee
    if holder is not None and _can_manage(request):
        asked = confirmation_page(
            request,
            title=f"Unassign {license.masked_key} from {holder.user.email}?",
            message="They lose the license at once, and the machines they activated with it are released.",
            button="Unassign license",
            cancel_url=_detail_url(request, license),
        )
        if asked:
            return asked
    try:
        services.license_unassign(actor=request.membership, license=license)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        if holder is not None:
            messages.success(
                request, f"License {license.masked_key} is no longer assigned to {holder.user.email}."
            )
    return _back(request, _detail_url(request, license))


@require_POST
@workspace_view
def activation_deactivate(request, public_id, activation_id):
    license = read(selectors.license_get_for_change, actor=request.membership, public_id=public_id)
    activation = _or_404(selectors.activation_get, license=license, public_id=activation_id)
    asked = services.may_release_activation(request.membership, activation) and confirmation_page(
        request,
        title=f"Deactivate “{activation.name or 'this machine'}”?",
        message="The machine stops working with this license until it activates again; "
        "that frees its place for another machine.",
        button="Deactivate machine",
        cancel_url=_detail_url(request, license),
    )
    if asked:
        return asked
    try:
        services.activation_release(actor=request.membership, activation=activation)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"Machine “{activation.name or activation.fingerprint}” was deactivated.")
    return _back(request, _detail_url(request, license))


# ---------------------------------------------------------------- every member


@require_GET
@workspace_view
def my_license(request):
    workspace = request.workspace
    held = selectors.license_list_for_member(membership=request.membership)
    entitlement = member_entitlement(membership=request.membership)
    has_any = bool(held) or selectors.workspace_has_licenses(workspace=workspace)
    trial_policy = None if has_any else services.trial_policy()
    return render(
        request,
        "licensing/my_license.html",
        {
            "held": held,
            "entitlement": entitlement,
            "can_start_trial": not has_any and trial_policy is not None,
            "trial_policy": trial_policy,
            "can_manage": _can_manage(request),
        },
    )


@require_POST
@workspace_view
def trial_start(request):
    try:
        license = services.workspace_trial_start(actor=request.membership)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(
            request,
            f"Your {license.policy.trial_days}-day trial of {license.policy.product.name} has started "
            "for every member of this workspace.",
        )
    return redirect("licensing:my_license", workspace_slug=request.workspace.slug)
