"""decode_json: the bounds every JSON request body is held to."""

from __future__ import annotations

import json

import pytest

from nimbostack.core.api.jsonbody import MAX_DEPTH, decode_json
from nimbostack.core.errors import BadRequest

TOO_DEEP = f"The JSON body is nested deeper than {MAX_DEPTH} levels."


def _refused(raw: bytes) -> str:
    with pytest.raises(BadRequest) as caught:
        decode_json(raw)
    return caught.value.message


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
        b'[{"a": [' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"]}]",
    ],
)
def test_nesting_beyond_the_limit_is_refused(raw: bytes) -> None:
    assert _refused(raw) == TOO_DEEP


def test_nesting_at_the_limit_and_brackets_in_strings_are_fine() -> None:
    deepest = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert decode_json(deepest) is not None
    brackets = json.dumps({"a": "[" * 500, "b": [[1]] * 100}).encode()
    assert decode_json(brackets)["a"] == "[" * 500


@pytest.mark.parametrize(
    "raw", [b'"\\ud800"', b'{"\\udc00": 1}', b'["a\\ud800b"]', b'"\xed\xa0\x80"', b'"\xff"']
)
def test_lone_surrogates_and_bad_utf8_are_refused(raw: bytes) -> None:
    assert _refused(raw).startswith("Invalid Unicode in request body")


def test_surrogate_pairs_are_text() -> None:
    assert decode_json(b'"\\ud83d\\ude00"') == "\U0001f600"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b'{"a": 9223372036854775808}', "9223372036854775808"),
        (b"[-9223372036854775809]", "-9223372036854775809"),
        (b"[99999999999999999999]", "99999999999999999999"),
    ],
)
def test_integers_beyond_64_bits_are_refused(raw: bytes, shown: str) -> None:
    assert _refused(raw) == (
        f"Integer {shown} in the request body is out of range: integers must fit in 64 bits."
    )


def test_64_bit_integers_and_long_digit_strings_are_kept_exactly() -> None:
    raw = b'[9223372036854775807, -9223372036854775808, "123456789012345678901234"]'
    assert decode_json(raw) == [2**63 - 1, -(2**63), "123456789012345678901234"]


def test_nul_in_a_string_or_key_is_refused_but_an_escaped_backslash_is_not() -> None:
    message = "Strings in the request body must not contain NUL characters."
    assert _refused(b'{"a": "x\\u0000"}') == message
    assert _refused(b'{"\\u0000": 1}') == message
    assert decode_json(b'{"a": "\\\\u0000"}') == {"a": "\\u0000"}


@pytest.mark.parametrize("raw", [b"", b"[1", b"NaN", b"[1e400]", b"\xef\xbb\xbf{}", b"{} x"])
def test_malformed_json_is_refused(raw: bytes) -> None:
    assert _refused(raw).startswith("Malformed JSON in request body: ")
