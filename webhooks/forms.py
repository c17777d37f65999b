"""Dashboard forms for webhook endpoints. They only parse input: the services judge it."""

from django import forms

from .events import EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL", max_length=2000, help_text="The https address that receives the events (a POST each)."
    )
    description = forms.CharField(max_length=200, required=False, help_text="Optional: what listens there.")
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event type to receive."},
    )
    payload_format = forms.ChoiceField(
        label="Payload format",
        choices=[("keyward", "Keyward"), ("dodo", "Dodo Payments")],
        required=False,
        initial="keyward",
        help_text="Dodo Payments: Dodo's own event shapes, so a Dodo webhook handler keeps working.",
    )
    enabled = forms.BooleanField(required=False, initial=True, help_text="Off: nothing is sent to it.")

    def clean_payload_format(self):
        return self.cleaned_data["payload_format"] or None  # not sent: unchanged (Keyward's for a new one)
