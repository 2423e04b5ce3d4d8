"""Who a request speaks for, how lists are scoped, and the links and times views show."""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.jsonbody import decode_json
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.params import shown
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest
from nimbostack.core.timeutil import iso
from nimbostack.volume.api.microversions import RESOURCE_FILTERS


def version(req: ApiRequest) -> Version:
    return req.version or Version(3, 0)


def at_least(req: ApiRequest, wanted: str) -> bool:
    return version(req).matches(wanted)


def project_of(req: ApiRequest) -> str:
    return req.context.project_id or ""


def base_url(req: ApiRequest) -> str:
    return f"{req.http.url.scheme}://{req.http.url.netloc}"


def links(req: ApiRequest, collection: str, item_id: str) -> list[dict[str, str]]:
    base, project = base_url(req), project_of(req)
    return [
        {"href": f"{base}/v3/{project}/{collection}/{item_id}", "rel": "self"},
        {"href": f"{base}/{project}/{collection}/{item_id}", "rel": "bookmark"},
    ]


def next_link(
    req: ApiRequest, collection: str, items: list[Any], limit: int, asked: bool
) -> list[dict[str, str]]:
    """Cinder's ``<collection>_links``: a next page link when this page came out full."""
    if not items or len(items) < limit or not (asked or limit):
        return []
    params = {k: v for k, v in req.query.items() if k != "marker"}
    params["marker"] = str(items[-1].id)
    params.setdefault("limit", str(limit))
    query = "&".join(f"{k}={v}" for k, v in params.items())
    href = f"{base_url(req)}/v3/{project_of(req)}/{collection}?{query}"
    return [{"href": href, "rel": "next"}]


def timestamp(ts: float | None) -> str | None:
    """Cinder's timestamps: ``2024-01-01T00:00:00.000000`` (UTC, no zone suffix)."""
    text = iso(ts, micro=True)
    return text[:-1] if text else None


def all_projects(req: ApiRequest) -> bool:
    """``all_tenants`` (or ``all_projects``) asked by an admin."""
    if not req.context.is_admin:
        return False
    for name in ("all_tenants", "all_projects"):
        if name in req.query:
            return req.query_bool(name, True)
    return False


def list_project(req: ApiRequest) -> str | None:
    """The project a list is limited to: the caller's, another for an admin, or all (None)."""
    if all_projects(req):
        return req.query.get("project_id") or None
    return project_of(req)


def as_bool(raw: Any, field: str) -> bool:
    """Cinder's lenient booleans (``True``, ``"yes"``, ``1``...)."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "t", "1", "yes", "y", "on"):
        return True
    if text in ("false", "f", "0", "no", "n", "off"):
        return False
    raise BadRequest(f"Invalid value {raw!r} for {field}: expected a boolean.")


def check_filters(req: ApiRequest, resource: str, known: set[str]) -> None:
    """Refuse unknown query filters from 3.31 on (earlier they are ignored, as Cinder)."""
    if not at_least(req, "3.31"):
        return
    allowed = RESOURCE_FILTERS.get(resource, set()) | known
    unknown = {k.rstrip("~") for k in req.query} - allowed
    if unknown:
        raise BadRequest(
            f"Invalid filters {', '.join(sorted(unknown))} are found in query options."
        )


def json_filter(raw: str | None, name: str) -> dict[str, str]:
    if not raw:
        return {}
    try:
        found = decode_json(raw.encode())
    except BadRequest as exc:
        raise BadRequest(f"Invalid {name} filter: {exc.message}") from None
    if not isinstance(found, dict):
        raise BadRequest(f"Invalid {name} filter: {shown(raw)} is not a JSON object.")
    return {str(k): str(v) for k, v in found.items()}
