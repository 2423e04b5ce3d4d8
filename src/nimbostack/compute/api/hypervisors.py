"""``os-hypervisors``: list, detail, show, statistics and uptime, per microversion."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.db.models import ComputeNode, Instance, Service
from nimbostack.compute.objects import services as service_rows
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, NotFound


def _v(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


def _state(state: ApiState, service: Service | None) -> tuple[str, str]:
    if service is None:
        return "down", "enabled"
    up = service_rows.is_up(service, float(compute_conf(state).service_down_time))
    return ("up" if up else "down"), ("disabled" if service.disabled else "enabled")


def _brief(req: ApiRequest, state: ApiState, node: ComputeNode, svc: Service | None) -> Any:
    up, status = _state(state, svc)
    return {
        "id": node.uuid if _v(req).matches("2.53") else node.id,
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": up,
        "status": status,
    }


def _detail(req: ApiRequest, state: ApiState, node: ComputeNode, svc: Service | None) -> Any:
    body = _brief(req, state, node, svc)
    body.update(
        host_ip=node.host_ip,
        hypervisor_type=node.hypervisor_type,
        hypervisor_version=node.hypervisor_version,
        service={
            "host": node.host,
            "id": (svc.uuid if _v(req).matches("2.53") else svc.id) if svc else None,
            "disabled_reason": svc.disabled_reason if svc else None,
        },
    )
    if _v(req).matches("2.88"):
        body["uptime"] = _uptime(svc)
        return body
    body.update(
        vcpus=node.vcpus,
        memory_mb=node.memory_mb,
        local_gb=node.local_gb,
        vcpus_used=node.vcpus_used,
        memory_mb_used=node.memory_mb_used,
        local_gb_used=node.local_gb_used,
        free_ram_mb=node.memory_mb - node.memory_mb_used,
        free_disk_gb=node.local_gb - node.local_gb_used,
        current_workload=0,
        running_vms=node.running_vms,
        disk_available_least=node.local_gb - node.local_gb_used,
        # A JSON-encoded string before 2.28, an object from 2.28 on.
        cpu_info=(node.cpu_info or {})
        if _v(req).matches("2.28")
        else json.dumps(node.cpu_info or {}),
    )
    return body


def _uptime(svc: Service | None) -> str | None:
    """``uptime``-style text, counted from when the host's compute service registered."""
    if svc is None or svc.binary != "nova-compute":
        return None
    seconds = max(0, int(time.time() - svc.created_at))
    days, rest = divmod(seconds, 86400)
    clock = time.strftime("%H:%M:%S", time.localtime())
    return f" {clock} up {days} days, {rest // 3600:2d}:{rest % 3600 // 60:02d}"


async def _nodes(state: ApiState) -> list[tuple[ComputeNode, Service | None]]:
    async with state.db.session() as s:
        nodes = list((await s.scalars(select(ComputeNode).order_by(ComputeNode.id))).all())
        services = await service_rows.by_host(s)
    return [(n, services.get(n.host)) for n in nodes]


async def _servers(state: ApiState, host: str) -> list[dict[str, str]]:
    async with state.db.session() as s:
        rows = await s.scalars(
            select(Instance).where(Instance.host == host, Instance.deleted.is_(False))
        )
        return [{"uuid": r.uuid, "name": "instance-" + r.uuid[:8]} for r in rows]


async def _listing(req: ApiRequest, detail: bool) -> Response:
    state = state_of(req)
    if detail:
        req.enforce("os_compute_api:os-hypervisors:list-detail")
    else:
        req.enforce("os_compute_api:os-hypervisors:list")
    found = await _nodes(state)
    pattern = req.query.get("hypervisor_hostname_pattern")
    if pattern:
        found = [(n, s) for n, s in found if pattern in n.hypervisor_hostname]
    with_servers = req.query_bool("with_servers") and _v(req).matches("2.53")
    render = _detail if detail else _brief
    bodies = []
    for node, svc in found:
        body = render(req, state, node, svc)
        if with_servers:
            body["servers"] = await _servers(state, node.host)
        bodies.append(body)
    return json_response({"hypervisors": bodies})


async def list_hypervisors(req: ApiRequest) -> Response:
    return await _listing(req, detail=False)


async def list_hypervisors_detail(req: ApiRequest) -> Response:
    return await _listing(req, detail=True)


async def _one(req: ApiRequest, state: ApiState) -> tuple[ComputeNode, Service | None]:
    ident = req.param("hypervisor_id")
    for node, svc in await _nodes(state):
        if ident in (node.uuid, str(node.id)):
            if _v(req).matches("2.53") and ident != node.uuid:
                break
            return node, svc
    if _v(req).matches("2.53") and ident.isdigit():
        raise BadRequest(f"Invalid uuid {ident}")
    raise NotFound(f"Hypervisor with ID '{ident}' could not be found.")


async def show_hypervisor(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-hypervisors:show")
    node, svc = await _one(req, state)
    body = _detail(req, state, node, svc)
    if req.query_bool("with_servers") and _v(req).matches("2.53"):
        body["servers"] = await _servers(state, node.host)
    return json_response({"hypervisor": body})


async def hypervisor_uptime(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-hypervisors:uptime")
    if _v(req).matches("2.88"):
        raise NotFound("The resource could not be found.")
    node, svc = await _one(req, state)
    body = _brief(req, state, node, svc)
    body["uptime"] = _uptime(svc) or ""
    return json_response({"hypervisor": body})


async def hypervisor_statistics(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-hypervisors:statistics")
    if _v(req).matches("2.88"):
        raise NotFound("The resource could not be found.")
    totals: dict[str, int] = {"count": 0}
    keys = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used",
            "free_ram_mb", "free_disk_gb", "current_workload", "running_vms",
            "disk_available_least")  # fmt: skip
    for name in keys:
        totals[name] = 0
    for node, svc in await _nodes(state):
        detail = _detail(req, state, node, svc)
        totals["count"] += 1
        for name in keys:
            totals[name] += int(detail[name])
    return json_response({"hypervisor_statistics": totals})


async def _matching(req: ApiRequest) -> list[tuple[ComputeNode, Service | None]]:
    """Hypervisors whose hostname contains the path's pattern (before 2.53 only)."""
    if _v(req).matches("2.53"):
        raise NotFound("The resource could not be found.")
    pattern = req.param("hypervisor_id")
    found = [(n, s) for n, s in await _nodes(state_of(req)) if pattern in n.hypervisor_hostname]
    if not found:
        raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return found


async def search_hypervisors(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-hypervisors:search")
    state = state_of(req)
    found = await _matching(req)
    return json_response({"hypervisors": [_brief(req, state, n, s) for n, s in found]})


async def list_hypervisor_servers(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-hypervisors:servers")
    state = state_of(req)
    bodies = []
    for node, svc in await _matching(req):
        body = _brief(req, state, node, svc)
        servers = await _servers(state, node.host)
        if servers:
            body["servers"] = servers
        bodies.append(body)
    return json_response({"hypervisors": bodies})
