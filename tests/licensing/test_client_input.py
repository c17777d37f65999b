"""The hot endpoints' fast input check (InputSerializer.fast_validated) answers only what the DRF
serializer would answer itself: over generated inputs, a fast answer always equals `validated_data`,
and whatever it is unsure of goes to the serializer, which words the 400."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licensing.api import client_serializers as s

SERIALIZERS = [
    s.ClientLicenseValidateInput,
    s.ClientLicenseActivateInput,
    s.ClientLicenseDeactivateInput,
    s.ClientHeartbeatInput,
    s.ClientTokenActivateInput,
    s.ClientInfoQuery,
]


def _text_near(length: int):
    """Text around a limit, with the whitespace that is trimmed before the limit is checked."""
    return st.builds(
        lambda size, left, right, char: left + char * size + right,
        st.integers(min_value=max(0, length - 2), max_value=length + 2),
        st.sampled_from(["", " ", "\t", "  \n"]),
        st.sampled_from(["", " ", "\r\n"]),
        st.sampled_from(["a", "é", "\x00", "\ud800", " "]),
    )


TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(["a", " ", "\x00", "\ud83d", "\u00e9", "\n", "-"]), max_size=8),
    *(_text_near(limit) for limit in (32, 50, 100, 128, 150, 255)),  # every limit of these inputs
)
SCALAR = st.one_of(TEXT, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=2))


def _inputs(serializer_class):
    names = list(serializer_class().fields)
    values = {name: VALUE for name in names}
    if "machine" in names:
        machine = st.dictionaries(st.sampled_from(["fingerprint", "name", "platform", "other"]), VALUE)
        values["machine"] = st.one_of(machine, VALUE)
    return st.fixed_dictionaries({}, optional={**values, "unknown": VALUE})


def _plain(data):
    return {name: _plain(value) if isinstance(value, dict) else value for name, value in data.items()}


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda c: c.__name__)
def test_a_fast_answer_is_always_the_serializers_own(serializer_class):
    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_inputs(serializer_class))
    def check(data):
        fast = serializer_class.fast_validated(data)
        if fast is None:
            return
        serializer = serializer_class(data=data)
        assert serializer.is_valid(), (data, serializer.errors)
        assert fast == _plain(serializer.validated_data)

    check()


@pytest.mark.parametrize(
    "serializer_class, data, expected",
    [
        (
            s.ClientLicenseValidateInput,
            {"key": " KW-ABC ", "fingerprint": "m1"},
            {"key": "KW-ABC", "fingerprint": "m1"},
        ),
        (s.ClientLicenseValidateInput, {"key": "K", "product": "", "x": 1}, {"key": "K", "product": ""}),
        (
            s.ClientTokenActivateInput,
            {"product": "app", "machine": {"fingerprint": "m1"}},
            {"product": "app", "machine": {"fingerprint": "m1", "name": "", "platform": ""}, "ci": False},
        ),
        (
            s.ClientLicenseActivateInput,
            {"key": "K", "fingerprint": "m", "name": "pc", "platform": "linux"},
            {"key": "K", "fingerprint": "m", "name": "pc", "platform": "linux"},
        ),
    ],
)
def test_the_requests_clients_send_take_the_fast_path(serializer_class, data, expected):
    assert serializer_class.fast_validated(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"key": ""},
        {"key": "   "},
        {"key": 12},
        {"key": None},
        {"key": "K" * 129},
        {"key": "K\x00"},
        {"key": "K", "fingerprint": ["m"]},
        {"key": "K", "activation_id": "a" * 33},
    ],
)
def test_what_the_serializer_would_refuse_goes_to_it(data):
    assert s.ClientLicenseValidateInput.fast_validated(data) is None
    assert not s.ClientLicenseValidateInput(data=data).is_valid()


def test_a_form_encoded_body_goes_to_the_serializer():
    from django.http import QueryDict

    assert s.ClientLicenseValidateInput.fast_validated(QueryDict("key=K")) is None
