"""Input and output serializers for the webhooks API. The signing secret leaves only when made or rotated."""

from rest_framework import serializers

from licensing.api.serializers import StrictCharField

from ..models import DeliveryStatus


class EndpointInputSerializer(serializers.Serializer):
    url = StrictCharField(max_length=2000, help_text="https URL that receives the events.")
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=StrictCharField(max_length=64),
        min_length=1,
        max_length=50,
        help_text="See GET webhooks/event-types/.",
    )
    enabled = serializers.BooleanField(required=False)
    payload_format = serializers.ChoiceField(
        choices=["keyward", "dodo"], required=False, help_text="dodo: Dodo Payments' payload shapes."
    )


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    payload_format = serializers.CharField()
    disabled_reason = serializers.CharField(help_text="Why Keyward or a person disabled it.")
    created_at = serializers.DateTimeField()


class EndpointWithSecretSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(
        help_text="The whsec_ signing secret. Shown in this response only: store it now."
    )


class AttemptOutputSerializer(serializers.Serializer):
    attempted_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    response_body = serializers.CharField(help_text="The first 1 KB of the response.")
    error = serializers.CharField(help_text="Why no response arrived (timeout, refused connection...).")


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField(source="event.id", help_text="The webhook-id header.")
    event_type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    attempt_log = AttemptOutputSerializer(many=True)


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
