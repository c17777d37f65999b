from django import forms

from .naming import DESCRIPTION_MAX, NAME_MAX, VALUE_MAX_BYTES


class ParameterCreateForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX, help_text="Letters, digits and _ . / -, e.g. DATABASE_URL.")
    value = forms.CharField(
        required=False, strip=False, max_length=VALUE_MAX_BYTES, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_secret = forms.BooleanField(required=False, label="Secret (encrypted, masked on this page)")
    description = forms.CharField(max_length=DESCRIPTION_MAX, required=False)


class ParameterEditForm(forms.Form):
    value = forms.CharField(
        required=False, strip=False, max_length=VALUE_MAX_BYTES, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_secret = forms.BooleanField(required=False, label="Secret (encrypted, masked on this page)")
    description = forms.CharField(max_length=DESCRIPTION_MAX, required=False)
    keep_value = forms.BooleanField(
        required=False, label="Keep the current value", help_text="Change only the description or secrecy."
    )
