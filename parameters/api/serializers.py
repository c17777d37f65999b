"""Input and output serializers for the parameters API. Values leave only in read responses."""

from rest_framework import serializers

from licensing.api.serializers import StrictCharField  # numbers and booleans are not text

from ..models import DEFAULT_STAGE
from ..naming import DESCRIPTION_MAX, NAME_MAX, STAGE_MAX, VALUE_MAX_BYTES


class StageQuerySerializer(serializers.Serializer):
    stage = StrictCharField(max_length=STAGE_MAX, required=False, default=DEFAULT_STAGE)


class ParameterCreateInputSerializer(serializers.Serializer):
    stage = StrictCharField(max_length=STAGE_MAX, required=False, default=DEFAULT_STAGE)
    name = StrictCharField(max_length=NAME_MAX)
    value = StrictCharField(max_length=VALUE_MAX_BYTES, allow_blank=True, trim_whitespace=False)
    secret = serializers.BooleanField(required=False, default=False)
    description = StrictCharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")


class ParameterUpdateInputSerializer(serializers.Serializer):
    value = StrictCharField(
        max_length=VALUE_MAX_BYTES, allow_blank=True, trim_whitespace=False, required=False
    )
    secret = serializers.BooleanField(required=False)
    description = StrictCharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"value": ["Send a new value, secret or description."]})
        return attrs


class RenderInputSerializer(serializers.Serializer):
    stage = StrictCharField(max_length=STAGE_MAX, required=False, default=DEFAULT_STAGE)
    template = StrictCharField(max_length=65536, allow_blank=True, trim_whitespace=False)


class RenderOutputSerializer(serializers.Serializer):
    rendered = serializers.CharField()


class ParameterOutputSerializer(serializers.Serializer):
    """A parameter without its value (what writes answer)."""

    name = serializers.CharField()
    stage = serializers.CharField(help_text="The stage the value belongs to (`default` when inherited).")
    secret = serializers.BooleanField(source="is_secret")
    description = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    updated_by = serializers.EmailField(source="updated_by.email", default=None)


class ParameterValueOutputSerializer(ParameterOutputSerializer):
    value = serializers.CharField()


class ParameterVersionOutputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    secret = serializers.BooleanField(source="is_secret")
    value = serializers.CharField(
        allow_null=True, help_text="The value of a non-secret version; null for a secret one (never shown)."
    )
    note = serializers.CharField()
    changed_at = serializers.DateTimeField()
    changed_by = serializers.EmailField(source="changed_by.email", default=None)
