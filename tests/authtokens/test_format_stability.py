"""What must not change between releases: a token issued today has to parse, hash and check the same
way after an upgrade, or every stored token stops working. Fixed vectors, no database."""

import re
import string

import pytest

from authtokens import tokens

BASE62 = string.digits + string.ascii_letters
RANDOM_PART = "0123456789abcdefghijABCDEFGHIJ"


def test_the_checksum_of_a_known_random_part_never_changes():
    assert tokens.checksum(RANDOM_PART) == "3MPBcx"
    assert tokens.parse_kind("kw_dev_" + RANDOM_PART + "3MPBcx") == "developer"
    assert tokens.parse_kind("kw_ci_" + RANDOM_PART + "3MPBcx") == "ci"


def test_the_stored_hash_of_a_known_token_never_changes():
    token = "kw_dev_" + "a" * 30 + "000000"
    assert tokens.hash_token(token) == "5eeda87eb67adba33dc2fcb5ebe6bcdc576cdd283934b349a7b3a97d9ce84b9e"


def test_base62_fills_exactly_the_length_and_refuses_what_does_not_fit():
    assert tokens.base62_encode(62**6 - 1, 6) == "ZZZZZZ"
    assert tokens.base62_encode(62, 2) == "10"
    with pytest.raises(ValueError) as caught:
        tokens.base62_encode(62**6, 6)
    assert str(caught.value) == "number does not fit in the requested length"


def test_public_ids_are_tok_and_24_base62_characters_and_differ():
    ids = {tokens.new_public_id() for _ in range(100)}
    assert len(ids) == 100
    for public_id in ids:
        assert re.fullmatch(r"tok_[0-9A-Za-z]{24}", public_id)


def test_generated_random_parts_use_the_whole_alphabet():
    seen = set()
    for _ in range(200):
        seen.update(tokens.generate("ci").removeprefix("kw_ci_")[:30])
    assert seen == set(BASE62)


def test_masked_shows_the_prefix_of_each_kind():
    assert tokens.masked("ci", "wxyz") == "kw_ci_…wxyz"
    assert tokens.last4("kw_ci_" + RANDOM_PART + "3MPBcx") == "PBcx"
