"""Dashboard pages: Parameters (a stage's resolved table), edit, delete, history with restore, reveal.

Destructive actions ask first (a confirmation page or a confirm dialog) and act
on POST. A secret value is shown only in the response to a Reveal POST, which
the service records in the security log; nothing caches that page.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Capability
from accounts.web import apply_domain_error, workspace_view
from authtokens.api.authentication import client_ip
from project.errors import DomainError

from . import selectors, services
from .forms import ParameterCreateForm, ParameterEditForm
from .models import DEFAULT_STAGE
from .naming import clean_stage
from .selectors import Reader


def _can_manage(request) -> bool:
    return request.membership.has_capability(Capability.MANAGE_PARAMETERS)


def _stage(request, source) -> str:
    try:
        return clean_stage(source.get("stage") or DEFAULT_STAGE)
    except DomainError as error:
        messages.error(request, error.message)
        return DEFAULT_STAGE


def _to_stage(request, stage: str):
    url = reverse("parameters:parameters", kwargs={"workspace_slug": request.workspace.slug})
    return redirect(f"{url}?stage={stage}")


def _parameter(request, parameter_id):
    try:
        return selectors.parameter_get(workspace=request.workspace, parameter_id=parameter_id)
    except DomainError as error:
        apply_domain_error(request, error)  # a 404


def _parameters_page(request, stage, create_form=None, revealed=None, status=200):
    rows = selectors.parameter_resolve_rows(
        workspace=request.workspace, stage=stage, reader=Reader(membership=request.membership)
    )
    revealed = revealed or {}
    for row in rows:
        row.revealed_value = revealed.get(row.pk)
    stages = selectors.parameter_stage_list(workspace=request.workspace)
    context = {
        "stage": stage,
        "stages": stages if stage in stages else [*stages, stage],
        "rows": rows,
        "can_manage": _can_manage(request),
        "create_form": create_form or ParameterCreateForm(),
    }
    response = render(request, "parameters/parameters.html", context, status=status)
    response["Cache-Control"] = "no-store"  # it may hold a revealed secret
    return response


@workspace_view
def parameters(request):
    return _parameters_page(request, _stage(request, request.GET))


@workspace_view
@require_POST
def parameter_create(request):
    stage = _stage(request, request.POST)
    form = ParameterCreateForm(request.POST)
    if not form.is_valid():
        return _parameters_page(request, stage, create_form=form, status=400)
    try:
        parameter = services.parameter_create(actor=request.membership, stage=stage, **form.cleaned_data)
    except DomainError as error:
        apply_domain_error(request, error, form)
        return _parameters_page(request, stage, create_form=form, status=400 if error.field else 403)
    messages.success(request, f"“{parameter.name}” was added to {stage}.")
    return _to_stage(request, stage)


@workspace_view
@require_POST
def parameter_reveal(request, parameter_id):
    parameter = _parameter(request, parameter_id)
    stage = _stage(request, request.POST)
    try:
        value = services.parameter_reveal(
            actor=request.membership, parameter=parameter, ip=client_ip(request)
        )
    except DomainError as error:
        apply_domain_error(request, error)
        return _to_stage(request, stage)
    return _parameters_page(request, stage, revealed={parameter.pk: value})


@workspace_view
@require_http_methods(["GET", "POST"])
def parameter_edit(request, parameter_id):
    parameter = _parameter(request, parameter_id)
    initial = {
        "is_secret": parameter.is_secret,
        "description": parameter.description,
        "keep_value": parameter.is_secret,  # a secret's value is not shown, so keeping it is the default
    }
    if not parameter.is_secret:
        initial["value"] = parameter.stored_value
    form = ParameterEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.parameter_update(
                actor=request.membership,
                parameter=parameter,
                value=None if data["keep_value"] else data["value"],
                is_secret=data["is_secret"],
                description=data["description"],
            )
        except DomainError as error:
            apply_domain_error(request, error, form)
        else:
            messages.success(request, f"“{parameter.name}” was saved.")
            return _to_stage(request, parameter.stage)
    context = {"parameter": parameter, "form": form, "can_manage": _can_manage(request)}
    return render(request, "parameters/edit.html", context, status=400 if form.errors else 200)


@workspace_view
@require_http_methods(["GET", "POST"])
def parameter_delete(request, parameter_id):
    parameter = _parameter(request, parameter_id)
    if request.method == "GET":
        return render(request, "parameters/delete.html", {"parameter": parameter})
    try:
        services.parameter_delete(actor=request.membership, parameter=parameter)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(request, f"“{parameter.name}” was deleted from {parameter.stage}.")
    return _to_stage(request, parameter.stage)


@workspace_view
def parameter_history(request, parameter_id):
    parameter = _parameter(request, parameter_id)
    context = {
        "parameter": parameter,
        "versions": selectors.parameter_version_list(parameter=parameter),
        "can_manage": _can_manage(request),
    }
    return render(request, "parameters/history.html", context)


@workspace_view
@require_POST
def parameter_restore(request, parameter_id, version):
    parameter = _parameter(request, parameter_id)
    try:
        parameter = services.parameter_restore(actor=request.membership, parameter=parameter, version=version)
    except DomainError as error:
        apply_domain_error(request, error)
    else:
        messages.success(
            request, f"Version {version} of “{parameter.name}” is current again (v{parameter.version})."
        )
    return redirect("parameters:history", workspace_slug=request.workspace.slug, parameter_id=parameter.pk)
