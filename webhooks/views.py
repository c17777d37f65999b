"""Dashboard pages: a workspace's webhook endpoints, and one endpoint with its delivery log.

A signing secret is shown once, in the response to the POST that made it (no redirect, so it is
never stored in a session or a message), with Cache-Control: no-store.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.web import apply_domain_error, workspace_view
from project.errors import DomainError

from . import selectors, services
from .forms import EndpointForm


def _require_manage(request) -> None:
    try:
        services.check_may_manage(request.membership, workspace_id=request.workspace.pk)
    except DomainError as error:
        raise PermissionDenied(error.message) from None


def _endpoint(request, endpoint_id):
    _require_manage(request)
    try:
        return selectors.endpoint_get(workspace=request.workspace, endpoint_id=endpoint_id)
    except DomainError as error:
        raise Http404(error.message) from None


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@workspace_view
@require_http_methods(["GET", "POST"])
def endpoints(request):
    _require_manage(request)
    form = EndpointForm(request.POST or None)
    context = {"form": form, "new_secret": None, "new_endpoint": None}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint, secret = services.endpoint_create(actor=request.membership, **form.cleaned_data)
            except DomainError as error:
                apply_domain_error(request, error, form)
                status = 400
            else:
                context.update(new_secret=secret, new_endpoint=endpoint, form=EndpointForm())
        else:
            status = 400
    context["endpoints"] = selectors.endpoint_list(workspace=request.workspace)
    return _no_store(render(request, "webhooks/endpoints.html", context, status=status))


def _detail_page(request, endpoint, form=None, new_secret=None, status=200):
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "enabled": endpoint.enabled,
        "payload_format": endpoint.payload_format,
    }
    context = {
        "endpoint": endpoint,
        "form": form or EndpointForm(initial=initial),
        "deliveries": selectors.delivery_list(endpoint=endpoint),
        "new_secret": new_secret,
    }
    return _no_store(render(request, "webhooks/endpoint.html", context, status=status))


@workspace_view
@require_http_methods(["GET", "POST"])
def endpoint_detail(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "GET":
        return _detail_page(request, endpoint)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.endpoint_update(actor=request.membership, endpoint=endpoint, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(request, error, form)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect(
                "webhooks:endpoint", workspace_slug=request.workspace.slug, endpoint_id=endpoint.pk
            )
    endpoint.refresh_from_db()
    return _detail_page(request, endpoint, form=form, status=400)


@workspace_view
@require_POST
def endpoint_rotate_secret(request, endpoint_id):
    endpoint, secret = services.endpoint_rotate_secret(
        actor=request.membership, endpoint=_endpoint(request, endpoint_id)
    )
    return _detail_page(request, endpoint, new_secret=secret)


@workspace_view
@require_POST
def endpoint_send_test(request, endpoint_id):
    services.endpoint_send_test(actor=request.membership, endpoint=_endpoint(request, endpoint_id))
    messages.success(request, "A webhook.test event is on its way; reload to see the attempt.")
    return redirect("webhooks:endpoint", workspace_slug=request.workspace.slug, endpoint_id=endpoint_id)


@workspace_view
@require_POST
def endpoint_delete(request, endpoint_id):
    services.endpoint_delete(actor=request.membership, endpoint=_endpoint(request, endpoint_id))
    messages.success(request, "Endpoint deleted.")
    return redirect("webhooks:endpoints", workspace_slug=request.workspace.slug)


@workspace_view
@require_POST
def delivery_redeliver(request, endpoint_id, delivery_id):
    endpoint = _endpoint(request, endpoint_id)
    try:
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    except DomainError as error:
        raise Http404(error.message) from None
    services.delivery_redeliver(actor=request.membership, delivery=delivery)
    messages.success(request, f"The {delivery.event.type} event is queued again.")
    return redirect("webhooks:endpoint", workspace_slug=request.workspace.slug, endpoint_id=endpoint.pk)
