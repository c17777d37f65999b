"""Input parsing for API views: a serializer validates, and a failure becomes a 400 naming the field."""


def validated_serializer(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


def validated_input(serializer_class, data, **kwargs) -> dict:
    return validated_serializer(serializer_class, data, **kwargs).validated_data
