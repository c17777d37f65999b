"""Dashboard forms for accounts. They only parse input: the services judge it."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.template import loader
from django.utils.html import format_html

from project.mail import email_send

from .models import Capability, Role


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, with its e-mail queued like every other (project.mail)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = loader.render_to_string(subject_template_name, context)
        body = loader.render_to_string(email_template_name, context)
        html_body = None
        if html_email_template_name:
            html_body = loader.render_to_string(html_email_template_name, context)
        email_send(to=[to_email], subject=subject, body=body, html_body=html_body)


class LoginForm(AuthenticationForm):
    """Django's login form; the `username` field holds the e-mail address."""

    username = forms.EmailField(
        label="E-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an account; "
        "check both, or reset your password.",
    }


class SignupForm(forms.Form):
    full_name = forms.CharField(
        label="Your name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=1024,  # no real password is longer; bounds the hashing work a request can ask for
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not too common and not all digits.",
    )


class InvitedSignupForm(forms.Form):
    """Sign-up through an invitation: the address is the invitation's."""

    full_name = SignupForm.base_fields["full_name"]
    password = SignupForm.base_fields["password"]


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label="Your name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label="New e-mail address",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send a link to the new address; your address changes when you open it.",
    )


class AccountPasswordForm(PasswordChangeForm):
    """Django's password change, without its autofocus: on the account page it would jump past
    the name and e-mail sections."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=100)
    slug = forms.CharField(
        label="URL name",
        max_length=60,
        required=False,
        help_text="Optional: letters, digits and dashes, used in /w/&lt;url-name&gt;/. "
        "Left empty, it comes from the name.",
    )


class WorkspaceRenameForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=100)


class WorkspaceDeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Type the workspace name to confirm", max_length=100)

    def __init__(self, *args, workspace_name="", **kwargs):
        super().__init__(*args, **kwargs)
        help_text = format_html("Type <strong>{}</strong> exactly.", workspace_name)
        self.fields["confirm_name"].help_text = help_text


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"placeholder": "name@example.com"})
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, offered_roles=None, **kwargs):
        """`offered_roles` narrows the dropdown to roles the inviter can give; the service still decides."""
        super().__init__(*args, **kwargs)
        if offered_roles is not None:
            self.fields["role"].widget.choices = [(r, Role(r).label) for r in offered_roles]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class CapabilitiesForm(forms.Form):
    """One checkbox per advanced permission; an unchecked box means off."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for capability in Capability:
            self.fields[capability.value] = forms.BooleanField(label=capability.label, required=False)

    def capabilities(self, editable) -> dict[str, bool]:
        """The submitted value of each editable permission; the others are left as they are."""
        return {name: self.cleaned_data[name] for name in editable}
