"""The vendor view: staff see pending grants on the dashboard and fulfil each one with a key."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from project.errors import DomainError

from . import selectors, services
from .models import GrantStatus


class FulfilForm(forms.Form):
    key = forms.CharField(max_length=128, label="License key")
    activation_limit = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, label="Activation limit"
    )


def _require_staff(request) -> None:
    if not (request.user.is_staff and request.user.is_active):
        raise PermissionDenied


@login_required
def pending_grants(request):
    _require_staff(request)
    errors, bound = {}, None
    if request.method == "POST":
        grant_id = request.POST.get("grant", "")
        bound = FulfilForm(request.POST)
        if bound.is_valid():
            try:
                grant = selectors.staff_grant_get(public_id=grant_id)
                services.grant_fulfil(grant=grant, **bound.cleaned_data)
            except DomainError as error:
                errors[grant_id] = error.message
            else:
                messages.success(
                    request, f"Grant {grant.public_id} delivered; the customer is e-mailed the key."
                )
                return redirect("commerce:pending_grants")
        else:
            errors[grant_id] = " ".join(
                f"{bound.fields[name].label}: {' '.join(e)}" for name, e in bound.errors.items()
            )
    grants = list(selectors.staff_grant_list(status=GrantStatus.PENDING)[:200])
    status = 400 if errors else 200
    return render(
        request, "commerce/pending_grants.html", {"grants": grants, "errors": errors}, status=status
    )
