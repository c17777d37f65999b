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
    parameter_stages = forms.CharField(
        max_length=300,
        required=False,
        label="Parameter stages",
        help_text="Optional: the stages it may read, e.g. “prod” or “staging, prod”. Empty: every stage.",
    )


class CITokenRenameForm(forms.Form):
    name = forms.CharField(max_length=100)
    label = forms.CharField(max_length=100, required=False)
