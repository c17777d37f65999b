"""The token format: prefix, 30 random base62, 6 base62 of CRC32. No database involved."""

import re
import string
import zlib

from hypothesis import assume, given
from hypothesis import strategies as st

from authtokens import tokens

BASE62 = string.digits + string.ascii_letters
base62_text = st.text(alphabet=BASE62, min_size=1, max_size=60)


def test_generated_tokens_have_the_documented_shape():
    for kind, prefix in (("developer", "kw_dev_"), ("ci", "kw_ci_")):
        token = tokens.generate(kind)
        assert token.startswith(prefix)
        body = token[len(prefix) :]
        assert len(body) == 36 and all(c in BASE62 for c in body)
        random_part, check = body[:30], body[30:]
        assert check == tokens.base62_encode(zlib.crc32(random_part.encode()), 6)
        assert tokens.parse_kind(token) == kind
        assert re.fullmatch(tokens.TOKEN_REGEX, token)


def test_checksum_is_zero_padded_to_six_characters():
    assert tokens.base62_encode(0, 6) == "000000"
    assert tokens.base62_encode(61, 6) == "00000Z"
    assert tokens.base62_encode(2**32 - 1, 6) == "4GFfc3"


def test_generated_tokens_differ():
    assert len({tokens.generate("ci") for _ in range(200)}) == 200


def test_hash_and_last4():
    token = tokens.generate("developer")
    assert len(tokens.hash_token(token)) == 64
    assert tokens.last4(token) == token[-4:]
    assert tokens.masked("developer", "abcd") == "kw_dev_…abcd"


@given(st.text(max_size=80))
def test_random_strings_are_refused(text):
    assume(not re.fullmatch(r"kw_(dev|ci)_[0-9A-Za-z]{36}", text))
    assert tokens.parse_kind(text) is None


@given(st.sampled_from(["kw_dev_", "kw_ci_"]), st.text(alphabet=BASE62, min_size=36, max_size=36))
def test_well_shaped_tokens_with_a_wrong_checksum_are_refused(prefix, body):
    assume(tokens.checksum(body[:30]) != body[30:])
    assert tokens.parse_kind(prefix + body) is None


@given(
    st.sampled_from(["developer", "ci"]),
    st.integers(min_value=0, max_value=200),
    st.sampled_from(BASE62 + "_-. x"),
)
def test_a_single_changed_character_is_caught(kind, position_seed, replacement):
    token = tokens.generate(kind)
    position = position_seed % len(token)
    assume(token[position] != replacement)
    changed = token[:position] + replacement + token[position + 1 :]
    assert tokens.parse_kind(changed) is None


@given(st.sampled_from(["developer", "ci"]), base62_text)
def test_extra_or_missing_characters_are_refused(kind, extra):
    token = tokens.generate(kind)
    assert tokens.parse_kind(token + extra) is None
    assert tokens.parse_kind(token[: -len(extra) if len(extra) < len(token) else 1]) is None


def test_non_strings_are_refused():
    assert tokens.parse_kind(None) is None
    assert tokens.parse_kind(b"kw_dev_") is None
