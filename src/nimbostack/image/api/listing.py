"""Parses the image list query string (filters, sorting, paging) into an ImageQuery."""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.params import bounded_int, shown
from nimbostack.core.api.schema import MAX_BIGINT
from nimbostack.core.config import Section
from nimbostack.core.errors import BadRequest
from nimbostack.core.timeutil import parse_iso
from nimbostack.image.api.attributes import VISIBILITIES
from nimbostack.image.objects.listing import SORT_KEYS, ImageQuery

# Filters that match a column exactly; each also takes ``in:a,b``.
_COLUMNS = ("id", "name", "status", "owner", "disk_format", "container_format")
_TIMES = ("created_at", "updated_at")
_PAGING = ("limit", "marker", "sort_key", "sort_dir", "sort")
_MEMBER_STATUSES = ("accepted", "pending", "rejected", "all")


# Sizes are 64-bit in SQL: a bound past that is the same as the largest one.
_MAX_SIZE = 2**63 - 1
# Each tag, property and sort key adds a clause to the listing; a request names this many.
MAX_FILTERS = 20


def _int(name: str, raw: str) -> int:
    value = bounded_int(raw, -MAX_BIGINT, MAX_BIGINT)
    if value is None:
        raise BadRequest(
            f"Invalid value {shown(raw)} for '{name}': an integer of at most 64 bits is required."
        )
    if value < 0:
        raise BadRequest(f"Invalid value {raw!r} for '{name}': must not be negative.")
    return value


def _bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise BadRequest(f"Invalid value {raw!r} for '{name}': true or false is required.")
    return lowered == "true"


def _time_filter(name: str, raw: str) -> tuple[str, str, float]:
    op, sep, value = raw.partition(":")
    if not sep or op not in ("eq", "neq", "gt", "gte", "lt", "lte"):
        # A bare timestamp means equality; a colon inside it is not an operator.
        op, value = "eq", raw
    try:
        return name, op, parse_iso(value)
    except ValueError:
        raise BadRequest(f"Invalid value {raw!r} for '{name}': not an ISO 8601 time.") from None


def _sort(params: Any) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if params.get("sort"):
        if params.get("sort_key") or params.get("sort_dir"):
            raise BadRequest("The 'sort' parameter cannot be combined with sort_key or sort_dir.")
        for item in params["sort"].split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key, direction or "desc"))
    else:
        keys = params.getlist("sort_key") or ["created_at"]
        dirs = params.getlist("sort_dir") or ["desc"]
        if len(dirs) not in (1, len(keys)):
            raise BadRequest("The number of sort_dir values must match the sort_key values.")
        pairs = [(k, dirs[i] if len(dirs) > 1 else dirs[0]) for i, k in enumerate(keys)]
    for key, direction in pairs:
        if key not in SORT_KEYS:
            raise BadRequest(f"Invalid sort key: {key}. It is not in {', '.join(SORT_KEYS)}.")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort direction: {direction}. Use asc or desc.")
    return pairs


def _limit(params: Any, conf: Section) -> int:
    raw = params.get("limit")
    if raw is None:
        return int(conf.limit_param_default)
    return min(_int("limit", raw), int(conf.api_limit_max))


def _visibility(raw: str | None) -> str | None:
    if raw is not None and raw not in (*VISIBILITIES, "all"):
        raise BadRequest(f"Invalid visibility value: {raw}")
    return raw


def _check_filter_count(params: Any) -> None:
    named = [k for k, _ in params.multi_items() if k not in ("limit", "marker")]
    sort_keys = len(params.get("sort", "").split(",")) if params.get("sort") else 0
    if len(named) + sort_keys > MAX_FILTERS:
        raise BadRequest(f"Too many filters and sort keys: at most {MAX_FILTERS} in one request.")


def parse_query(params: Any, conf: Section) -> ImageQuery:
    """Every recognised parameter; anything else filters on a custom property."""
    query = ImageQuery(
        visibility=_visibility(params.get("visibility")),
        sort=_sort(params),
        limit=_limit(params, conf),
        marker=params.get("marker"),
        tags=params.getlist("tag"),
    )
    status = params.get("member_status", "accepted")
    if status not in _MEMBER_STATUSES:
        raise BadRequest(f"Invalid member_status value: {status}")
    query.member_status = status
    if "os_hidden" in params:
        query.os_hidden = _bool("os_hidden", params["os_hidden"])
    _check_filter_count(params)
    for key, raw in params.multi_items():
        if key in _COLUMNS:
            values = raw[3:].split(",") if raw.startswith("in:") else [raw]
            query.columns.setdefault(key, []).extend(values)
        elif key in _TIMES:
            query.ranges.append(_time_filter(key, raw))
        elif key in ("size_min", "size_max"):
            query.ranges.append(("size", "gte" if key == "size_min" else "lte", _int(key, raw)))
        elif key not in (*_PAGING, "visibility", "member_status", "os_hidden", "tag"):
            query.properties[key] = raw
    return query
