"""Dashboard forms. They only parse input; the rules live in licensing.services."""

from django import forms

from accounts.models import Membership

from .models import LicenseStatus

STATUS_CHOICES = [("", "Any status")] + list(LicenseStatus.choices)


class SearchInput(forms.TextInput):
    input_type = "search"


class LicenseFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=100, widget=SearchInput)
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    product = forms.ChoiceField(required=False)
    assignee = forms.ChoiceField(required=False)

    def __init__(self, *args, products, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "Any product")] + [(p.code, p.name) for p in products]
        self.fields["assignee"].choices = [("", "Anyone"), ("none", "Unassigned")] + [
            (str(m.pk), m.user.get_full_name()) for m in memberships
        ]
        self.fields["q"].widget.attrs.update(placeholder="Key ending, name or id")

    def filters(self) -> dict:
        """The selector's keyword arguments; an invalid filter value is simply ignored."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or None,
            "product": data.get("product") or None,
            "assignee": data.get("assignee") or None,
            "search": data.get("q") or None,
        }


class AssignMemberForm(forms.Form):
    """On a license: choose the member who gets it."""

    member = forms.ModelChoiceField(queryset=Membership.objects.none(), empty_label="Choose a member")

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Membership.objects.filter(workspace=workspace).select_related("user")
        self.fields["member"].label_from_instance = lambda m: f"{m.user.get_full_name()} ({m.user.email})"


class AssignLicenseForm(forms.Form):
    """On a member: choose one of the free seats."""

    license = forms.CharField(max_length=40)
