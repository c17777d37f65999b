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
    enabled = forms.BooleanField(required=False, initial=True, help_text="Off: nothing is sent to it.")
