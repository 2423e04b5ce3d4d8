"""Text parameters: bounded integer parsing and the check of path and query text."""

from __future__ import annotations

import pytest

from nimbostack.core.api.params import bounded_int, check_params, parse_int
from nimbostack.core.errors import BadRequest


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        (" 42 ", 42),
        ("+7", 7),
        ("-1", None),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("99999999999999999999", None),
        ("9" * 5000, None),
        ("²", None),
        ("١٢", None),
        ("1_000", None),
        ("0x10", None),
        ("1e3", None),
        ("", None),
    ],
)
def test_bounded_int_takes_plain_decimals_within_bounds(raw: str, expected: int | None) -> None:
    assert bounded_int(raw, 0, 2**31 - 1) == expected


def test_parse_int_names_the_parameter_and_the_bounds() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_int("x" * 100, "limit", 0, 10, kind="query parameter")
    assert caught.value.message == (
        f"Invalid value {'x' * 64!r}... for query parameter 'limit': expected an integer "
        "from 0 to 10."
    )


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ({"id": "a\x00b"}, [], "Invalid characters in path parameter 'id': 'a\\x00b'"),
        ({"id": "\ud800"}, [], "Invalid characters in path parameter 'id': '\\ud800'"),
        ({}, [("name", "\x00")], "Invalid characters in query parameter 'name'."),
        ({}, [("\udfff", "x")], "Invalid characters in query parameter '\\udfff'."),
    ],
)
def test_nul_and_lone_surrogates_are_refused(
    path: dict[str, str], query: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        check_params(path.items(), query)
    assert caught.value.message == message


def test_other_text_passes() -> None:
    check_params({"tag": "\r\n é \U0001f600"}.items(), [("name", "\ufffd"), ("q", "")])
