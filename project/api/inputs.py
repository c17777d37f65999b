"""Input parsing for API views: a serializer validates, and a failure becomes a 400 naming the field."""

from project.errors import DomainError


def validated_serializer(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


def validated_input(serializer_class, data, **kwargs) -> dict:
    return validated_serializer(serializer_class, data, **kwargs).validated_data


ID_MAX = 2**63 - 1  # the largest BigAutoField value on every database


def query_id(params, name: str, *, what: str, also: tuple[str, ...] = ()) -> int | str | None:
    """A query parameter that holds a database id (or one of the words in `also`): None when absent,
    a 400 naming the parameter when it is not an ASCII number in the id range."""
    value = params.get(name) or None
    if value is None or value in also:
        return value
    if not (value.isascii() and value.isdigit() and 0 < int(value) <= ID_MAX):
        extra = "".join(f' or "{word}"' for word in also)
        raise DomainError(
            f"{name.upper()}_INVALID", f"The {name} filter is {what} (a number){extra}.", field=name
        )
    return int(value)
