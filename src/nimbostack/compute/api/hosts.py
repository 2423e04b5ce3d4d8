"""``os-hosts`` (deprecated at 2.43): hosts by service, a host's resources, enable/disable.

Everything here is a view over the service and compute-node rows that os-services and
os-hypervisors also serve; host power actions and maintenance mode are not supported
by our drivers, so they answer 501 like Nova's libvirt driver does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.db.models import ComputeNode, Instance, Service
from nimbostack.compute.objects import aggregates
from nimbostack.compute.objects import services as service_rows
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import NotFound, NotImplementedApi

_ACTION = {"enum": ["enable", "disable"]}
UPDATE_SCHEMA = {
    "type": "object",
    "properties": {"status": _ACTION, "maintenance_mode": _ACTION},
    "anyOf": [{"required": ["status"]}, {"required": ["maintenance_mode"]}],
    "additionalProperties": False,
}


def _deprecated(req: ApiRequest) -> None:
    if (req.version or Version(2, 1)).matches("2.43"):
        raise NotFound("The resource could not be found.")


async def _services(state: ApiState, host: str | None = None) -> list[Service]:
    stmt = select(Service).order_by(Service.id)
    if host is not None:
        stmt = stmt.where(Service.host == host)
    async with state.db.session() as s:
        return list((await s.scalars(stmt)).all())


async def list_hosts(req: ApiRequest) -> Response:
    _deprecated(req)
    req.enforce("os_compute_api:os-hosts:list")
    state = state_of(req)
    zones = await aggregates.host_zones(state.db)
    default_zone = str(compute_conf(state).default_availability_zone)
    hosts = []
    for row in await _services(state):
        is_compute = row.binary == service_rows.COMPUTE
        zone = zones.get(row.host, default_zone) if is_compute else "internal"
        hosts.append(
            {"host_name": row.host, "service": row.binary.removeprefix("nova-"), "zone": zone}
        )
    wanted = req.query.get("zone")
    if wanted:  # an empty zone filter lists every host (Nova's behaviour)
        hosts = [h for h in hosts if h["zone"] == wanted]
    return json_response({"hosts": hosts})


async def _compute_node(state: ApiState, host: str) -> ComputeNode:
    async with state.db.session() as s:
        node = await s.scalar(select(ComputeNode).where(ComputeNode.host == host).limit(1))
    if node is None:
        raise NotFound(f"Compute host {host} could not be found.")
    return node


def _resource(host: str, project: str, cpu: int, memory_mb: int, disk_gb: int) -> Any:
    return {
        "resource": {
            "host": host,
            "project": project,
            "cpu": cpu,
            "memory_mb": memory_mb,
            "disk_gb": disk_gb,
        }
    }


async def show_host(req: ApiRequest) -> Response:
    """The host's totals, its use now, its use by instances, and that use per project."""
    _deprecated(req)
    req.enforce("os_compute_api:os-hosts:show")
    state = state_of(req)
    host = req.param("host_name")
    node = await _compute_node(state, host)
    async with state.db.session() as s:
        rows = await s.scalars(
            select(Instance).where(Instance.host == host, Instance.deleted.is_(False))
        )
        flavors = [(r.project_id, r.flavor or {}) for r in rows]
    per_project: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for project, flavor in flavors:
        used = per_project[project]
        used[0] += int(flavor.get("vcpus", 0))
        used[1] += int(flavor.get("memory_mb", 0))
        used[2] += int(flavor.get("root_gb", 0)) + int(flavor.get("ephemeral_gb", 0))
    used_max = [sum(v[i] for v in per_project.values()) for i in range(3)]
    body = [
        _resource(host, "(total)", node.vcpus, node.memory_mb, node.local_gb),
        _resource(host, "(used_now)", node.vcpus_used, node.memory_mb_used, node.local_gb_used),
        _resource(host, "(used_max)", *used_max),
    ]
    body += [_resource(host, project, *used) for project, used in sorted(per_project.items())]
    return json_response({"host": body})


async def update_host(req: ApiRequest) -> Response:
    """``status`` enables or disables the host's compute service."""
    _deprecated(req)
    req.enforce("os_compute_api:os-hosts:update")
    state = state_of(req)
    body = await req.json(UPDATE_SCHEMA)
    host = req.param("host_name")
    node = await _compute_node(state, host)
    if "maintenance_mode" in body:
        raise NotImplementedApi("Maintenance mode is not supported by this compute driver.")
    disabled = body["status"] == "disable"
    async with state.db.session() as s:
        row = await s.scalar(
            select(Service).where(Service.host == node.host, Service.binary == service_rows.COMPUTE)
        )
        if row is None:
            raise NotFound(f"Compute host {host} could not be found.")
        row.disabled = disabled
        row.disabled_reason = None
    return json_response({"host": host, "status": "disabled" if disabled else "enabled"})


def _power_action(rule: str) -> Any:
    async def handler(req: ApiRequest) -> Response:
        _deprecated(req)
        req.enforce(rule)
        await _compute_node(state_of(req), req.param("host_name"))
        raise NotImplementedApi("Host power actions are not supported by this compute driver.")

    return handler


startup_host = _power_action("os_compute_api:os-hosts:start")
shutdown_host = _power_action("os_compute_api:os-hosts:shutdown")
reboot_host = _power_action("os_compute_api:os-hosts:reboot")
