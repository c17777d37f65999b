"""Dashboard pages: Auth tokens (developer + CI), a token with its 30-day chart, and the security log.

Destructive actions (reset, rotate, revoke) ask for confirmation on a page of
their own (GET) and act on POST. A new value is shown once, on the page the
POST redirects to (see reveal.py).
"""

import csv
from datetime import UTC

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions
from accounts.models import Capability
from accounts.web import apply_domain_error, read, workspace_view
from project.errors import DomainError

from . import reveal, selectors, services
from .api.authentication import client_ip
from .forms import CITokenCreateForm, CITokenRenameForm, SecurityLogFilterForm
from .models import SecurityAction, TokenKind
from .tokens import TOKEN_REGEX

EVENTS_PER_PAGE = 50
CI_TOKENS_PER_PAGE = 50


def _can_manage_ci(request) -> bool:
    return request.membership.has_capability(Capability.MANAGE_CI_TOKENS)


def _to_tokens(request):
    return redirect("authtokens:tokens", workspace_slug=request.workspace.slug)


def _ci_token(request, token_id):
    try:
        return selectors.ci_token_get(workspace=request.workspace, public_id=token_id)
    except DomainError as error:
        raise Http404(error.message) from None


def _tokens_page(request, create_form=None, status=200):
    show_revoked = request.GET.get("show") == "revoked"
    tokens = selectors.ci_token_list(workspace=request.workspace, include_revoked=show_revoked)
    page = Paginator(tokens, CI_TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "developer_token": selectors.developer_token_get(membership=request.membership),
        "revealed": reveal.pop(request),
        "page_obj": page,
        "ci_tokens": page.object_list,
        "show_revoked": show_revoked,
        "can_manage_ci": _can_manage_ci(request),
        "can_view_usage": permissions.may_view_usage(request.membership),
        "create_form": create_form or CITokenCreateForm(),
        "token_regex": TOKEN_REGEX,
    }
    response = render(request, "authtokens/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may hold a freshly revealed token
    return response


@workspace_view
def tokens(request):
    return _tokens_page(request)


@workspace_view
@require_http_methods(["GET", "POST"])
def developer_reset(request):
    """GET asks for confirmation; POST resets the caller's developer token and shows the new one once."""
    token = selectors.developer_token_get(membership=request.membership)
    if request.method == "GET":
        return render(request, "authtokens/developer_reset.html", {"token": token})
    try:
        issued = services.developer_token_rotate(actor=request.membership, ip=client_ip(request))
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        reveal.stash(request, issued)
        messages.success(request, "Your developer token was reset. The previous one no longer works.")
    return _to_tokens(request)


@workspace_view
@require_POST
def ci_create(request):
    form = CITokenCreateForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, create_form=form, status=400)
    try:
        issued = services.ci_token_create(
            actor=request.membership, ip=client_ip(request), **form.cleaned_data
        )
    except DomainError as error:
        apply_domain_error(request, error, form)
        return _tokens_page(request, create_form=form, status=400 if error.field else 403)
    reveal.stash(request, issued)
    messages.success(request, f"CI token “{issued.token.name}” was created.")
    return _to_tokens(request)


@workspace_view
def token_detail(request, token_id):
    """A CI token of the workspace, or the caller's own developer token, with its 30-day chart."""
    own = selectors.developer_token_get(membership=request.membership)
    token = own if own is not None and own.public_id == token_id else _ci_token(request, token_id)
    context = {
        "token": token,
        "usage": selectors.token_daily_usage(viewer=request.membership, token=token)
        if permissions.may_view_usage(request.membership, token)
        else None,
        "can_manage": token.kind == TokenKind.CI and _can_manage_ci(request) and not token.is_revoked,
        "rename_form": CITokenRenameForm(initial={"name": token.name, "label": token.label}),
    }
    return render(request, "authtokens/token_detail.html", context)


@workspace_view
@require_POST
def ci_rename(request, token_id):
    token = _ci_token(request, token_id)
    form = CITokenRenameForm(request.POST)
    if form.is_valid():
        try:
            services.ci_token_update(
                actor=request.membership, token=token, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            apply_domain_error(request, error)
        else:
            messages.success(request, "The CI token was renamed.")
    else:
        messages.error(request, "Give the token a name of at most 100 characters.")
    return redirect(
        "authtokens:token_detail", workspace_slug=request.workspace.slug, token_id=token.public_id
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def ci_rotate(request, token_id):
    token = _ci_token(request, token_id)
    if request.method == "GET":
        return render(request, "authtokens/ci_confirm.html", {"token": token, "action": "rotate"})
    try:
        issued = services.ci_token_rotate(actor=request.membership, token=token, ip=client_ip(request))
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        reveal.stash(request, issued)
        messages.success(request, f"CI token “{token.name}” was rotated. The previous value no longer works.")
    return _to_tokens(request)


@workspace_view
@require_http_methods(["GET", "POST"])
def ci_revoke(request, token_id):
    token = _ci_token(request, token_id)
    if request.method == "GET":
        return render(request, "authtokens/ci_confirm.html", {"token": token, "action": "revoke"})
    try:
        services.ci_token_revoke(actor=request.membership, token=token, ip=client_ip(request))
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"CI token “{token.name}” was revoked.")
    return _to_tokens(request)


@workspace_view
def security_log(request):
    form = SecurityLogFilterForm(request.GET or None, actions=SecurityAction.choices)
    filters = form.filters() if request.GET else {"action": "", "actor": "", "since": None, "until": None}
    events = read(selectors.security_event_list, viewer=request.membership, **filters)
    if request.GET.get("export") == "csv":
        return _security_log_csv(request.workspace, events)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    context = {
        "page_obj": page,
        "events": page.object_list,
        "form": form,
        "filters": filters,
        "actions": SecurityAction.choices,
        "actors": selectors.security_event_actors(workspace=request.workspace),
        "export_query": query.urlencode(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "authtokens/security_log.html", context)


def _csv_safe(value) -> str:
    # A cell starting with = + - @ is a formula to spreadsheet programs: make it plain text.
    text = str(value if value is not None else "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _security_log_csv(workspace, events) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{workspace.slug}-security-log.csv"'
    writer = csv.writer(response)
    writer.writerow(["time (UTC)", "action", "actor", "ip", "token", "token name", "detail"])
    for event in events.iterator(chunk_size=500):
        row = [
            event.created_at.astimezone(UTC).isoformat(timespec="seconds"),
            event.get_action_display(),
            event.actor_label,
            event.ip or "",
            event.token_masked,
            event.token_name,
            event.detail,
        ]
        writer.writerow([_csv_safe(cell) for cell in row])
    return response
