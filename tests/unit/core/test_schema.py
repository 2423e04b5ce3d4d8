"""The schema layer: OpenStack's integers, and bounds that also hold for digit strings."""

from __future__ import annotations

from typing import Any

import pytest

from nimbostack.core.api.schema import CONTROL_CHARS, MAX_INT, has_control_chars, validate
from nimbostack.core.errors import BadRequest

COUNT = {
    "type": "object",
    "properties": {
        "n": {
            "type": ["integer", "string"],
            "pattern": "^[0-9]+$",
            "minimum": 1,
            "maximum": MAX_INT,
        }
    },
}


def _message(body: Any, schema: dict[str, Any] = COUNT) -> str:
    with pytest.raises(BadRequest) as caught:
        validate(body, schema)
    return caught.value.message


@pytest.mark.parametrize("value", [1, "1", MAX_INT, str(MAX_INT)])
def test_values_within_bounds_pass(value: int | str) -> None:
    validate({"n": value}, COUNT)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (MAX_INT + 1, "2147483648 is greater than the maximum of 2147483647"),
        ("2147483648", "'2147483648' is out of range: maximum 2147483647"),
        ("0", "'0' is out of range: minimum 1"),
        ("9" * 30, f"{'9' * 30!r} is out of range: maximum 2147483647"),
        (1.0, "1.0 is not of type 'integer', 'string'"),
        (True, "True is not of type 'integer', 'string'"),
    ],
)
def test_values_out_of_bounds_or_of_the_wrong_type_fail(value: Any, message: str) -> None:
    assert _message({"n": value}) == f"Invalid input for field 'n': {message}"


def test_a_float_with_no_fraction_is_not_an_integer() -> None:
    assert _message(1e20, {"type": "integer"}) == "Invalid input: 1e+20 is not of type 'integer'"


def test_messages_quoting_huge_values_are_cut() -> None:
    message = _message("y" * 70_000, {"type": "string", "maxLength": 10})
    assert len(message) < 500
    assert message.endswith("is too long")


def test_control_characters() -> None:
    assert has_control_chars("a\r\nb") and has_control_chars("\x85") and has_control_chars("\0")
    assert not has_control_chars("tag é \U0001f600 ,/")
    tag = {"type": "string", "pattern": f"^[^,/{CONTROL_CHARS}]*$"}
    validate("ok \U0001f600", tag)
    assert "does not match" in _message("a\tb", tag)
