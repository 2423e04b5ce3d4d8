"""Paging of the compute API: its ``limit``/``offset`` parameters, markers and next links.

The page itself is cut in SQL by core.db.paging; this module holds what Nova's wire
adds around it: the bounds of the numbers, its two wordings of an unknown marker, and
the ``rel: next`` link a full page carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from nimbostack.compute.api.deps import public_url
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import ApiError, BadRequest

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


def page_size(req: ApiRequest) -> int:
    """The size of a page: ``limit`` cut to MAX_LIMIT, or MAX_LIMIT when absent."""
    found = limit_param(req)
    return MAX_LIMIT if found is None else found


def marker_not_listed(marker: str) -> ApiError:
    """Servers' and flavors' wording of an unknown marker (the others use the default)."""
    return BadRequest(f"marker [{marker}] not found")


def next_links(req: ApiRequest, path: str, limit: int | None, shown: Sequence[str]) -> Any:
    """A ``rel: next`` link when the page (the ids ``shown``) came back full, else None.

    The link repeats every parameter of the request (filters, sorting, limit) with the
    last item as the new marker, so following it continues the same listing.
    """
    if not limit or not shown or len(shown) < limit:
        return None
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    params.append(("marker", shown[-1]))
    return [{"rel": "next", "href": f"{public_url(req)}/v2.1{path}?{urlencode(params)}"}]


def add_next_link(
    body: dict[str, Any],
    key: str,
    req: ApiRequest,
    path: str,
    *,
    limit: int | None,
    shown: Sequence[str],
) -> None:
    """Put the ``rel: next`` link of a full page under ``key`` in the listing's body."""
    links = next_links(req, path, limit, shown)
    if links:
        body[key] = links
