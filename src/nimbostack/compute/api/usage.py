"""``os-simple-tenant-usage``: hours of vCPU, RAM and disk per project between two times.

From 2.40 the servers counted are paged (``limit``, ``marker``) in the database, in
(project, server uuid) order as Nova does; a page past the last server is empty,
which is how clients (novaclient, Horizon) know to stop asking.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from starlette.responses import Response

from nimbostack.compute import states
from nimbostack.compute.api import paging
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.paging import MAX_LIMIT
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.core.timeutil import iso, parse_iso


def _period(req: ApiRequest) -> tuple[float, float]:
    now = time.time()
    try:
        start = parse_iso(req.query["start"]) if "start" in req.query else now
        end = parse_iso(req.query["end"]) if "end" in req.query else now
    except ValueError:
        raise BadRequest("Invalid start or end time; use ISO 8601.") from None
    if start > end:
        raise BadRequest("Invalid start time. The start time cannot occur after the end time.")
    return start, end


def _time(ts: float | None) -> str | None:
    value = iso(ts, micro=True)
    return value[:-1] if value else None


def _server_usage(i: Instance, start: float, end: float) -> dict[str, Any]:
    begun = max(i.launched_at or i.created_at, start)
    ended = min(i.terminated_at or end, end)
    hours = max(0.0, ended - begun) / 3600
    flavor = i.flavor or {}
    return {
        "instance_id": i.uuid,
        "name": i.display_name,
        "hours": hours,
        "memory_mb": flavor.get("memory_mb", 0),
        "local_gb": flavor.get("root_gb", 0),
        "vcpus": flavor.get("vcpus", 0),
        "tenant_id": i.project_id,
        "flavor": flavor.get("name", ""),
        "started_at": _time(i.launched_at or i.created_at),
        "ended_at": _time(i.terminated_at),
        "state": "terminated" if i.deleted else i.vm_state,
        "uptime": int(max(0.0, (i.terminated_at or time.time()) - (i.launched_at or i.created_at))),
    }


def _summary(project: str, servers: list[dict[str, Any]], start: float, end: float) -> Any:
    return {
        "tenant_id": project,
        "server_usages": servers,
        "total_hours": sum(s["hours"] for s in servers),
        "total_vcpus_usage": sum(s["hours"] * s["vcpus"] for s in servers),
        "total_memory_mb_usage": sum(s["hours"] * s["memory_mb"] for s in servers),
        "total_local_gb_usage": sum(s["hours"] * s["local_gb"] for s in servers),
        "start": datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", ""),
        "stop": datetime.fromtimestamp(end, UTC).isoformat().replace("+00:00", ""),
    }


def _paging(req: ApiRequest) -> tuple[int, str | None]:
    """(limit, marker): the client's from 2.40, before that the first MAX_LIMIT servers."""
    if not (req.version or Version(2, 1)).matches("2.40"):
        return MAX_LIMIT, None
    limit = paging.limit_param(req)
    return MAX_LIMIT if limit is None else limit, req.query.get("marker")


async def _servers(req: ApiRequest, project_id: str | None) -> tuple[list[Instance], int]:
    """One page of the servers that ran in the period, and the page size asked for."""
    start, end = _period(req)
    limit, marker = _paging(req)
    stmt = select(Instance).where(
        Instance.created_at <= end,
        or_(Instance.terminated_at.is_(None), Instance.terminated_at >= start),
        Instance.vm_state != states.BUILDING,
    )
    if project_id is not None:
        stmt = stmt.where(Instance.project_id == project_id)
    # By project, then uuid: a project's servers come together on as few pages as can be.
    page = Page(Instance.uuid, [SortKey("project_id", Instance.project_id)], limit, marker)
    async with state_of(req).db.reader() as s:
        return list((await s.scalars(await page.apply(s, stmt))).all()), limit


def _summaries(req: ApiRequest, rows: list[Instance]) -> dict[str, dict[str, Any]]:
    start, end = _period(req)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row.project_id, []).append(_server_usage(row, start, end))
    return {p: _summary(p, servers, start, end) for p, servers in grouped.items()}


def _next_link(req: ApiRequest, path: str, rows: list[Instance], limit: int) -> Any:
    """Nova's "next" link: only from 2.40, and only when the page came back full."""
    if not (req.version or Version(2, 1)).matches("2.40"):
        return None
    return paging.next_links(req, path, limit, [r.uuid for r in rows])


async def list_usage(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-simple-tenant-usage:list")
    rows, limit = await _servers(req, None)
    detailed = req.query_bool("detailed")
    result = []
    for summary in _summaries(req, rows).values():
        if not detailed:
            summary.pop("server_usages")
        result.append(summary)
    body: dict[str, Any] = {"tenant_usages": result}
    links = _next_link(req, "/os-simple-tenant-usage", rows, limit)
    if links:
        body["tenant_usages_links"] = links
    return json_response(body)


async def show_usage(req: ApiRequest) -> Response:
    project_id = req.param("project_id")
    req.enforce("os_compute_api:os-simple-tenant-usage:show", {"project_id": project_id})
    rows, limit = await _servers(req, project_id)
    # No server in this page (none at all, or paged past the last): an empty object.
    body: dict[str, Any] = {"tenant_usage": _summaries(req, rows).get(project_id, {})}
    links = _next_link(req, f"/os-simple-tenant-usage/{project_id}", rows, limit)
    if links:
        body["tenant_usage_links"] = links
    return json_response(body)


async def show_usage_without_project(req: ApiRequest) -> Response:
    """``/os-simple-tenant-usage/`` names no project: a 404, not the listing."""
    raise NotFound("The resource could not be found.")
