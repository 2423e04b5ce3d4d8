"""The schema layer: JSON-schema checks of request bodies and the shared field types.

Two rules differ from plain JSON schema, both to bound integers as OpenStack does:

- an ``integer`` is a JSON integer (a float such as ``1e20`` is not one, even with no
  fraction), as in Nova's and Keystone's validators;
- ``minimum`` and ``maximum`` also bound a string of decimal digits, so a field that
  takes ``5`` or ``"5"`` (many Nova fields do) is bounded either way and the handler
  can convert it with ``int()``.

Integer fields should say how large they may be: ``MAX_INT`` is the bound of a
32-bit database column, the usual one in Nova, Glance and Placement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.validators import extend, validator_for

from nimbostack.core.api.params import shown
from nimbostack.core.errors import BadRequest

MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1

# C0 and C1 control characters, for a character class in a pattern: a tab, newline
# or NUL in a name or a tag is never intended, and some cannot travel in a header.
CONTROL_CHARS = "\\x00-\\x1f\\x7f-\\x9f"
_CONTROL = re.compile(f"[{CONTROL_CHARS}]")


def has_control_chars(text: str) -> bool:
    """Whether ``text`` holds a C0 or C1 control character."""
    return _CONTROL.search(text) is not None


_MAX_MESSAGE = 400
_DIGITS = re.compile(r"\s*[+-]?[0-9]+\s*")
# More digits than any bound in use: such a string is out of range whatever its value.
_MAX_DIGITS = 20


def _is_integer(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _digits_value(instance: Any) -> int | None:
    """The value of a string of decimal digits (None for anything else)."""
    if isinstance(instance, str) and _DIGITS.fullmatch(instance):
        return int(instance) if len(instance.strip()) <= _MAX_DIGITS else None
    return None


def _bound(keyword: str, base_check: Any, beyond: Any) -> Any:
    def check(validator: Any, bound: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not isinstance(instance, str):
            yield from base_check(validator, bound, instance, schema)
            return
        if not _DIGITS.fullmatch(instance):
            return
        value = _digits_value(instance)
        if value is None or beyond(value, bound):
            message = f"{shown(instance)} is out of range: {keyword} {bound}"
            yield jsonschema.ValidationError(message)

    return check


@lru_cache(maxsize=16)
def _strict(base: Any) -> Any:
    """``base`` (a draft's validator class) with OpenStack's integers (see above)."""
    checker = base.TYPE_CHECKER.redefine("integer", _is_integer)
    bounds = {
        "minimum": _bound("minimum", base.VALIDATORS["minimum"], lambda v, b: v < b),
        "maximum": _bound("maximum", base.VALIDATORS["maximum"], lambda v, b: v > b),
    }
    return extend(base, validators=bounds, type_checker=checker)  # type: ignore[no-untyped-call]


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    base = validator_for(schema)
    validator: jsonschema.protocols.Validator = _strict(base)(
        schema, format_checker=base.FORMAT_CHECKER
    )
    return validator


def _field_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.message, str):
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    return ".".join(p for p in parts if p)


def validate(body: Any, schema: dict[str, Any]) -> None:
    """Raise BadRequest naming the first offending field."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return
    field = _field_path(error)
    # A message quotes the offending value, which may be as long as the body.
    message = error.message if len(error.message) <= _MAX_MESSAGE else _cut(error.message)
    if field:
        raise BadRequest(f"Invalid input for field '{_shown_field(field)}': {message}")
    raise BadRequest(f"Invalid input: {message}")


def _cut(message: str) -> str:
    return f"{message[: _MAX_MESSAGE // 2]} ... {message[-_MAX_MESSAGE // 4 :]}"


def _shown_field(field: str) -> str:
    return field if len(field) <= _MAX_MESSAGE // 4 else f"{field[: _MAX_MESSAGE // 4]}..."
