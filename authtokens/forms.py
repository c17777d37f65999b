from django import forms


class CITokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Say what uses it, e.g. “GitHub Actions: deploy”.")
    label = forms.CharField(
        max_length=100,
        required=False,
        help_text="Optional: a company, team, app or developer, to group tokens.",
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        help_text="Optional. Empty: it never expires.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class CITokenRenameForm(forms.Form):
    name = forms.CharField(max_length=100)
    label = forms.CharField(max_length=100, required=False)
