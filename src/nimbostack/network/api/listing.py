"""The query string of a list, and the shape of its answer, for every resource.

Reads filters (``name=a&name=b`` matches either), ``fields``, ``sort_key``/``sort_dir``,
``limit``/``marker``/``page_reverse``; rejects a filter the resource does not have with
400 (filter-validation); answers ``{"<resources>": [...], "<resources>_links": [...]}``
with Neutron's next/previous links when a limit was asked for.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import dumps, json_response
from nimbostack.core.db.paging import parse_limit, parse_sort
from nimbostack.core.errors import BadRequest
from nimbostack.network.errors import HTTPBadRequest
from nimbostack.network.objects.query import ListRequest, Table
from nimbostack.network.state import state_of

_RESERVED = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"}


def fields_of(req: ApiRequest) -> list[str]:
    """The ``fields`` asked for (empty: every field)."""
    return [f for f in req.query.getlist("fields") if f]


def parse(
    req: ApiRequest, table: Table, extra_filters: frozenset[str] = frozenset()
) -> ListRequest:
    """The list request of ``req`` for ``table``, validated (400 on an unknown filter)."""
    known = table.filter_names() | extra_filters
    filters: dict[str, list[str]] = {}
    invalid: list[str] = []
    for key, value in req.query.multi_items():
        if key in _RESERVED:
            continue
        if key not in known:
            if key not in invalid:
                invalid.append(key)
            continue
        filters.setdefault(key, []).append(value)
    if invalid:
        raise HTTPBadRequest(f"{invalid} is invalid attribute for filtering")
    if "project_id" in filters and "tenant_id" in filters:
        if set(filters["project_id"]) != set(filters["tenant_id"]):
            raise HTTPBadRequest("Both tenant_id and project_id passed as filters.")
        del filters["tenant_id"]
    page_reverse = (req.query.get("page_reverse") or "false").lower() == "true"
    keys, dirs = req.query.getlist("sort_key"), req.query.getlist("sort_dir")
    try:
        limit = parse_limit(req.query.get("limit"), max_limit=state_of(req).max_limit)
    except BadRequest as exc:
        raise BadRequest(f"Bad limit request: {exc.message}.") from None
    try:
        parse_sort(keys, dirs, table.sortable())
    except BadRequest as exc:
        raise HTTPBadRequest(exc.message) from None
    return ListRequest(
        filters=filters,
        sort_keys=keys,
        sort_dirs=dirs,
        limit=limit,
        marker=req.query.get("marker") or None,
        page_reverse=page_reverse,
    )


def links(req: ApiRequest, items: list[dict[str, Any]], lreq: ListRequest) -> list[dict[str, str]]:
    """Neutron's pagination links: next unless a short forward page, previous likewise."""
    if not lreq.limit:
        return []
    found = []
    short = len(items) < lreq.limit
    if not (short and not lreq.page_reverse):
        found.append({"rel": "next", "href": _link(req, items[-1]["id"] if items else None)})
    if not (short and lreq.page_reverse):
        found.append(
            {"rel": "previous", "href": _link(req, items[0]["id"] if items else None, True)}
        )
    return found


def _link(req: ApiRequest, marker: str | None, reverse: bool = False) -> str:
    params = [(k, v) for k, v in req.query.multi_items() if k not in ("marker", "page_reverse")]
    if marker is not None:
        params.append(("marker", marker))
    if reverse:
        params.append(("page_reverse", "True"))
    url = req.http.url
    return f"{url.scheme}://{url.netloc}{url.path}?{urlencode(params)}"


def raw_list(
    plural: str, views: list[str], links: list[dict[str, str]], status: int = 200
) -> Response:
    """A list body made of views the database rendered as JSON text."""
    body = b'{"%s":[%s]' % (plural.encode(), ",".join(views).encode())
    if links:
        body += b',"%s_links":%s' % (plural.encode(), dumps(links))
    return Response(body + b"}", status_code=status, media_type="application/json")


def raw_one(singular: str, view: str, status: int = 200) -> Response:
    body = b'{"%s":%s}' % (singular.encode(), view.encode())
    return Response(body, status_code=status, media_type="application/json")


def select_fields(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields}


def answer(
    req: ApiRequest, plural: str, items: list[dict[str, Any]], lreq: ListRequest
) -> Response:
    """The list body: the items (only the asked-for fields) and the paging links."""
    body: dict[str, Any] = {plural: items}
    found = links(req, items, lreq)
    fields = fields_of(req)
    if fields:
        body[plural] = [select_fields(item, fields) for item in items]
    if found:
        body[f"{plural}_links"] = found
    return json_response(body)
