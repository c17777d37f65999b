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


class SecurityLogFilterForm(forms.Form):
    """The security log's filters; anything invalid is ignored rather than refused (it is a GET page)."""

    action = forms.ChoiceField(required=False)
    actor = forms.CharField(required=False, max_length=254)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "All actions"), *actions]

    def filters(self) -> dict:
        if not self.is_valid():
            return {name: self.cleaned_data.get(name) or "" for name in ("action", "actor")} | {
                "since": None,
                "until": None,
            }
        return {name: self.cleaned_data[name] for name in ("action", "actor", "since", "until")}
