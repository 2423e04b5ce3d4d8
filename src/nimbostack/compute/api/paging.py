"""Paging query parameters of the compute API (``limit``, ``offset``) and their bound."""

from __future__ import annotations

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest

# Nova's [api] max_limit: the most items one page shows, whatever limit asks for.
MAX_LIMIT = 1000
# Any count of more digits than this is beyond every table; it is read as this many
# (int() of thousands of digits is refused by Python itself).
_DIGITS = 18
_HUGE = 10**_DIGITS


def count_param(req: ApiRequest, name: str) -> int | None:
    """A non-negative integer query parameter, or None when absent."""
    raw = req.query.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(f"Invalid input for query parameters {name}. Value: {raw[:64]}.")
    digits = raw.lstrip("0") or "0"
    return int(digits) if len(digits) <= _DIGITS else _HUGE


def limit_param(req: ApiRequest) -> int | None:
    """``limit``, cut to MAX_LIMIT; None when absent."""
    value = count_param(req, "limit")
    return None if value is None else min(value, MAX_LIMIT)
