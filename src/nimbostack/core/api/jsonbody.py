"""Decoding of JSON request bodies within fixed bounds: nesting, integer range, text.

orjson parses the body: it refuses lone surrogates and invalid UTF-8, and its own
nesting cap (1024) means no body can exhaust the stack. Three checks then bound what
a handler and the database can receive. Each starts with a scan of the raw bytes in C
and looks at the decoded value only when that scan finds a candidate, so an ordinary
body costs one ``bytes.translate`` and three substring scans on top of the parse:

- nesting deeper than ``MAX_DEPTH`` (only possible with more brackets than that);
- integers outside 64 bits (only possible with a run of 19 digits; orjson would turn
  them into floats, so such a body is decoded again with an exact integer hook);
- NUL characters in strings (only possible through a ``\\u0000`` escape), which no
  API accepts and PostgreSQL cannot store.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from nimbostack.core.errors import BadRequest

MAX_DEPTH = 32
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# One translation of the body serves two scans: every digit becomes "0", both opening
# brackets "[", and every other byte a space; so the brackets are one count and a run
# of 19 digits one substring search (a regular expression is ten times slower).
_SCAN = bytes(0x30 if 0x30 <= b <= 0x39 else 0x5B if b in b"[{" else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19
_NUL_ESCAPE = b"\\u0000"
_CONTAINERS = (dict, list)


def decode_json(raw: bytes) -> Any:
    """The value of a JSON body; BadRequest when it is malformed or out of bounds."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _malformed(str(exc)) from None
    scan = raw.translate(_SCAN)
    if scan.count(b"[") > MAX_DEPTH:
        _check_depth(value)
    if _NUL_ESCAPE in raw:
        _check_no_nul(value)
    if _LONG_DIGITS in scan:
        value = _decode_exact(raw)
    return value


def _malformed(reason: str) -> BadRequest:
    if reason.startswith("depth limit exceeded"):
        return _too_deep()
    if "surrogate" in reason or "not valid UTF-8" in reason:
        return BadRequest(
            "Invalid Unicode in request body (text must be UTF-8, with no lone surrogate "
            f"escapes such as \\ud800): {reason}"
        )
    return BadRequest(f"Malformed JSON in request body: {reason}")


def _too_deep() -> BadRequest:
    return BadRequest(f"The JSON body is nested deeper than {MAX_DEPTH} levels.")


def _check_depth(value: Any) -> None:
    """Walk the containers breadth-first, one level at a time, up to MAX_DEPTH."""
    # Plain loops and exact type checks: twice as fast as comprehensions with isinstance.
    level = [value] if type(value) in _CONTAINERS else []
    for _depth in range(MAX_DEPTH):
        deeper = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) in _CONTAINERS:
                    deeper.append(child)
        if not deeper:
            return
        level = deeper
    raise _too_deep()


def _check_no_nul(value: Any) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise BadRequest("Strings in the request body must not contain NUL characters.")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _bounded_int(text: str) -> int:
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        shown = text if len(text) <= 40 else f"{text[:20]}...{text[-8:]}"
        raise BadRequest(
            f"Integer {shown} in the request body is out of range: integers must fit in 64 bits."
        )
    return value


def _decode_exact(raw: bytes) -> Any:
    """Decode again with every integer literal checked (the depth is already bounded)."""
    return json.loads(raw, parse_int=_bounded_int)
