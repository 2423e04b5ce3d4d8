"""``GET /servers`` and ``/servers/detail``: scope, filters, sorting, paging with links."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import re2
from starlette.responses import Response

from nimbostack.compute import states
from nimbostack.compute.api import paging, server_security_groups
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import viewer
from nimbostack.compute.api.server_refs import ref_id
from nimbostack.compute.api.views import servers as views
from nimbostack.compute.api.views.servers import ServerRecord
from nimbostack.compute.objects import block_devices, instance_queries
from nimbostack.compute.objects.instance_queries import InstanceQuery, PageSpec
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest
from nimbostack.core.timeutil import parse_iso

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a client's bad pattern is not the operator's concern
_VIEWS_PER_TURN = 100
_PAGING = {"limit", "marker", "sort_key", "sort_dir"}
_USER_FILTERS = {
    "name", "status", "image", "flavor", "reservation_id", "changes-since", "changes-before",
    "tags", "tags-any", "not-tags", "not-tags-any", "ip", "ip6", "all_tenants", "locked",
    "description", "uuid",
}  # fmt: skip
_LATER_USER_FILTERS = {
    "availability_zone", "config_drive", "key_name", "created_at", "launched_at",
    "terminated_at", "power_state", "task_state", "vm_state", "progress", "user_id",
}  # fmt: skip
_ADMIN_FILTERS = {
    "host", "node", "project_id", "tenant_id", "deleted", "hostname", "launch_index",
    "kernel_id", "ramdisk_id", "image_ref", "display_name", "soft_deleted", "access_ip_v4",
    "access_ip_v6", "updated_at", "block_device_mapping", "services", "metadata",
    "system_metadata", "root_device_name", "info_cache", "security_groups", "pci_devices",
}  # fmt: skip
_KNOWN = _PAGING | _USER_FILTERS | _LATER_USER_FILTERS | _ADMIN_FILTERS


def _bool(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes", "on", "t", "y")


def _time(name: str, raw: str) -> float:
    try:
        return parse_iso(raw)
    except ValueError:
        raise BadRequest(f"Invalid filter field: {name}.") from None


def _allowed_filters(req: ApiRequest, version: Version) -> dict[str, str]:
    query = dict(req.query)
    unknown = sorted(set(query) - _KNOWN)
    if unknown and version.matches("2.75"):
        name = unknown[0]
        raise BadRequest(
            f"Invalid input for query parameters {name}. Value: {query[name]}. "
            f"Additional properties are not allowed ('{name}' was unexpected)"
        )
    if req.allowed("os_compute_api:servers:allow_all_filters", _own(req)):
        return query
    allowed = _PAGING | _USER_FILTERS
    if version.matches("2.83"):
        allowed |= _LATER_USER_FILTERS
    return {k: v for k, v in query.items() if k in allowed}


def _own(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.context.project_id}


def _scope(req: ApiRequest, filters: dict[str, str], detail: bool) -> str | None:
    if "all_tenants" not in filters or not _bool(filters["all_tenants"] or "true"):
        return req.context.project_id or ""
    if detail:
        req.enforce("os_compute_api:servers:detail:get_all_tenants", _own(req))
    else:
        req.enforce("os_compute_api:servers:index:get_all_tenants", _own(req))
    return filters.get("project_id") or filters.get("tenant_id")


def _sort(filters: dict[str, str], multi: list[tuple[str, str]]) -> list[tuple[str, str]]:
    keys = [v for k, v in multi if k == "sort_key"]
    dirs = [v for k, v in multi if k == "sort_dir"]
    if not keys:
        return [("created_at", dirs[0] if dirs else "desc")]
    result = []
    for index, key in enumerate(keys):
        key = {"name": "display_name", "id": "uuid"}.get(key, key)
        if key not in instance_queries.SORT_KEYS:
            raise BadRequest(f"Invalid sort_key: {key}")
        direction = dirs[index] if index < len(dirs) else (dirs[-1] if dirs else "desc")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort_dir: {direction}")
        result.append((key, direction))
    return result


def _query(req: ApiRequest, filters: dict[str, str], detail: bool) -> InstanceQuery:
    q = InstanceQuery(project_id=_scope(req, filters, detail))
    q.host = filters.get("host")
    if "changes-since" in filters:
        q.changes_since = _time("changes-since", filters["changes-since"])
        q.read_deleted = True
    if "changes-before" in filters:
        q.changes_before = _time("changes-before", filters["changes-before"])
        q.read_deleted = True
    if _bool(filters.get("deleted", "false")):
        q.read_deleted = True
    for name in ("node", "key_name", "availability_zone", "vm_state", "task_state", "user_id"):
        if name in filters:
            q.exact[name] = filters[name]
    if "reservation_id" in filters:
        q.exact["reservation_id"] = filters["reservation_id"]
    q.sort = _sort(filters, list(req.query.multi_items()))
    return q


def _tag_set(raw: str) -> set[str]:
    return {t for t in raw.split(",") if t}


def _name_matcher(pattern: str) -> Callable[[str], bool]:
    """The name filter as a regular expression, run by RE2 in time linear in the name.

    Python's own engine backtracks: a pattern such as ``(a+)+$`` would hold the event
    loop for ages on each name. What RE2 does not support (backreferences, lookaround)
    is matched as plain text, as an invalid pattern is.
    """
    try:
        compiled = re2.compile(pattern, _RE2_OPTIONS)
    except re2.error:
        return lambda name: pattern in name
    return lambda name: compiled.search(name) is not None


def _python_filters(filters: dict[str, str]) -> list[Callable[[ServerRecord], bool]]:
    checks: list[Callable[[ServerRecord], bool]] = []
    if "name" in filters:
        match = _name_matcher(filters["name"])
        checks.append(lambda i: match(i.display_name))
    if "status" in filters:
        wanted = filters["status"].upper()
        checks.append(lambda i: states.server_status(i.vm_state, i.task_state) == wanted)
    if "image" in filters:
        image = ref_id(filters["image"])
        checks.append(lambda i: i.image_ref == image)
    if "flavor" in filters:
        flavor = ref_id(filters["flavor"])
        checks.append(lambda i: str((i.flavor or {}).get("flavorid")) == flavor)
    if "locked" in filters:
        locked = _bool(filters["locked"])
        checks.append(lambda i: bool(i.locked) == locked)
    if "uuid" in filters:
        checks.append(lambda i: i.uuid == filters["uuid"])
    checks.extend(_tag_filters(filters))
    return checks


def _tag_filters(filters: dict[str, str]) -> list[Callable[[ServerRecord], bool]]:
    checks: list[Callable[[ServerRecord], bool]] = []
    if "tags" in filters:
        every = _tag_set(filters["tags"])
        checks.append(lambda i: every <= set(i.tags or []))
    if "tags-any" in filters:
        some = _tag_set(filters["tags-any"])
        checks.append(lambda i: bool(some & set(i.tags or [])))
    if "not-tags" in filters:
        not_every = _tag_set(filters["not-tags"])
        checks.append(lambda i: not not_every <= set(i.tags or []))
    if "not-tags-any" in filters:
        none_of = _tag_set(filters["not-tags-any"])
        checks.append(lambda i: not none_of & set(i.tags or []))
    return checks


async def _list(req: ApiRequest, detail: bool) -> Response:
    state = state_of(req)
    version = req.version or Version(2, 1)
    if detail:
        req.enforce("os_compute_api:servers:detail", _own(req))
    else:
        req.enforce("os_compute_api:servers:index", _own(req))
    filters = _allowed_filters(req, version)
    checks = _python_filters(filters)
    spec = PageSpec(paging.page_size(req), filters.get("marker"), paging.marker_not_listed)
    rows: list[ServerRecord] = await instance_queries.search(
        state.db,
        _query(req, filters, detail),
        spec,
        (lambda r: all(check(r) for check in checks)) if checks else None,
    )
    see = viewer(req)
    faults = {}
    if detail:
        faults = await instance_queries.latest_faults(
            state.db, [r.uuid for r in rows if r.vm_state == states.ERROR]
        )
    volumes: dict[str, list[tuple[str, bool]]] = {}
    if detail:
        async with state.db.session() as s:
            volumes = await block_devices.volumes_by_instance(s, [r.uuid for r in rows])
    groups: dict[str, list[dict[str, str]]] = {}
    if detail:  # the groups the servers' ports have now
        wired = [r.uuid for r in rows if r.network_info]
        groups = await server_security_groups.names_by_server(req, state, wired)
    servers = []
    for index, row in enumerate(rows, 1):
        if detail:
            shown = views.full(see, row, faults.get(row.uuid))
            shown[views.VOLUMES_ATTACHED] = views.volumes_attached(see, volumes.get(row.uuid, []))
            if "security_groups" in shown and row.uuid in groups:
                shown["security_groups"] = groups[row.uuid]
        else:
            shown = views.brief(see, row)
        servers.append(shown)
        if index % _VIEWS_PER_TURN == 0:
            await asyncio.sleep(0)  # a page of a thousand servers takes a while to render
    body: dict[str, Any] = {"servers": servers}
    path = "/servers/detail" if detail else "/servers"
    ids = [r.uuid for r in rows]
    paging.add_next_link(body, "servers_links", req, path, limit=spec.limit, shown=ids)
    return json_response(body)


async def list_servers(req: ApiRequest) -> Response:
    return await _list(req, detail=False)


async def list_servers_detail(req: ApiRequest) -> Response:
    return await _list(req, detail=True)
