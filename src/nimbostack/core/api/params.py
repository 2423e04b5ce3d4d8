"""Text parameters of a request (path segments, query strings): checks and typed parsing.

Every path parameter and query value passes ``check_params`` before a handler runs:
text that no API accepts (NUL, lone surrogates) is refused there, once, instead of
reaching a database that cannot store it. Handlers read integers with
``ApiRequest.query_int`` (or ``bounded_int``) rather than ``int()``, so a value that is
not a plain decimal or does not fit the field is a 400 naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nimbostack.core.errors import BadRequest

_DECIMAL = re.compile(r"[+-]?[0-9]{1,20}")
_SHOWN = 64


def shown(text: str) -> str:
    """``text`` as a short repr for an error message."""
    if len(text) <= _SHOWN:
        return repr(text)
    return repr(text[:_SHOWN]) + "..."


def clipped(text: str) -> str:
    """``text`` cut to a length an error message can quote."""
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def bounded_int(raw: str, minimum: int, maximum: int) -> int | None:
    """``raw`` as a plain decimal integer within ``minimum..maximum``, else None.

    Unlike ``int()`` this refuses digits other than 0-9 (``str.isdigit`` accepts
    "²", which ``int`` then rejects), underscores, and overlong numbers.
    """
    text = raw.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_int(raw: str, name: str, minimum: int, maximum: int, *, kind: str = "parameter") -> int:
    """``raw`` as an integer within ``minimum..maximum``, else BadRequest naming it."""
    value = bounded_int(raw, minimum, maximum)
    if value is None:
        raise BadRequest(
            f"Invalid value {shown(raw)} for {kind} '{name}': expected an integer "
            f"from {minimum} to {maximum}."
        )
    return value


def _valid_text(value: str) -> bool:
    if value.isascii():
        return "\x00" not in value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def check_params(path: Iterable[tuple[str, object]], query: Iterable[tuple[str, str]]) -> None:
    """Refuse NUL characters and lone surrogates in path parameters and the query."""
    for name, value in path:
        if isinstance(value, str) and not _valid_text(value):
            raise BadRequest(f"Invalid characters in path parameter '{name}': {shown(value)}")
    for name, value in query:
        if not (_valid_text(name) and _valid_text(value)):
            raise BadRequest(f"Invalid characters in query parameter {shown(name)}.")
