"""``POST /servers``: validate, check quota, record the instances, hand them to the conductor."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.compute import quota_limits, states
from nimbostack.compute.api import (
    admin_pass,
    block_device_v2,
    boot_volumes,
    server_networks,
    server_refs,
)
from nimbostack.compute.api.block_device_v2 import BootDisks
from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.api.server_create_schema import MAX_INT, server_schema
from nimbostack.compute.api.server_lookup import viewer
from nimbostack.compute.db.models import Instance, InstanceFault
from nimbostack.compute.messages import BuildInstances
from nimbostack.compute.network_info import RequestedNetwork
from nimbostack.compute.objects import actions
from nimbostack.compute.objects import quotas as quota_store
from nimbostack.compute.scheduler.request_spec import RequestSpec
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, ServiceUnavailable

LOG = logging.getLogger(__name__)
# Instances written between two turns of the event loop (see _add).
_BATCH = 10


@dataclass
class BuildPlan:
    """Everything decided about a create request before anything is written."""

    name: str
    count_min: int
    count_max: int
    flavor: dict[str, Any]
    image: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    hints: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    networks: list[RequestedNetwork] = field(default_factory=list)
    disks: BootDisks = field(default_factory=BootDisks)
    # The first server's id, known before it is written: its volumes are reserved for it.
    first_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Handed to the conductor with the build, never stored (see admin_pass.py).
    admin_pass: str | None = field(default=None, repr=False)


def sanitize_hostname(name: str) -> str:
    """A DNS label from a display name, as Nova derives it."""
    text = re.sub(r"[ _.]", "-", name.lower())
    text = re.sub(r"[^\w-]+", "", text, flags=re.ASCII)
    text = text.strip("-")[:63].strip("-")
    return text or "server"


def _count(server: dict[str, Any], name: str, default: int) -> int:
    value = int(server.get(name, default))
    if not 1 <= value <= MAX_INT:
        raise BadRequest(f"Invalid input for field '{name}': must be between 1 and {MAX_INT}")
    return value


def _counts(server: dict[str, Any]) -> tuple[int, int]:
    low = _count(server, "min_count", 1)
    high = _count(server, "max_count", low)
    if low > high:
        raise BadRequest("min_count must be <= max_count")
    return low, high


def _per_request(state: ApiState, low: int, count: int) -> int:
    """``count`` cut to what one request may create (for projects without a quota).

    As with quota, a max_count beyond the limit gets as many servers as it allows, and
    a min_count beyond it is refused.
    """
    limit = int(compute_conf(state).max_servers_per_request)
    if low > limit:
        raise BadRequest(
            f"min_count {low} is more than the {limit} servers one request may create."
        )
    return min(count, limit)


def _user_data(server: dict[str, Any]) -> str | None:
    raw = server.get("user_data")
    if raw is None:
        return None
    try:
        base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("Invalid input for field 'user_data': not valid base64") from None
    return str(raw)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on", "t", "y")


def _refuse_unavailable(server: dict[str, Any]) -> None:
    if server.get("personality"):
        raise BadRequest("Personality files are not supported.")


async def _plan(req: ApiRequest, state: ApiState, body: dict[str, Any]) -> BuildPlan:
    server = body["server"]
    version = req.version or Version(2, 1)
    _refuse_unavailable(server)
    low, high = _counts(server)
    flavor = await server_refs.flavor(req, state, server["flavorRef"])
    disks = await block_device_v2.boot_disks(req, state, server, flavor, high)
    image = disks.image
    if image is None:
        image = await server_refs.image(req, state, server.get("imageRef", ""), flavor)
    hints = dict(body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {})
    plan = BuildPlan(server["name"], low, high, flavor, image, hints=hints, disks=disks)
    plan.group = await server_refs.group_hint(req, state, hints)
    plan.networks = await server_networks.requested(req, state, server.get("networks"), high)
    key_name, key_data = await server_refs.keypair(req, state, server.get("key_name"))
    conf = compute_conf(state)
    drive = admin_pass.has_config_drive(conf, _bool(server.get("config_drive", False)))
    plan.admin_pass = admin_pass.for_guest(conf, server.get("adminPass"), drive)
    plan.values = {
        "description": server.get("description"),
        "hostname": server.get("hostname"),
        "key_name": key_name,
        "key_data": key_data,
        "user_data": _user_data(server),
        "config_drive": drive,
        "metadata": server_refs.metadata(state, server.get("metadata") or {}),
        "tags": server_refs.tags(server.get("tags") or []),
        "access_ip_v4": server.get("accessIPv4"),
        "access_ip_v6": server.get("accessIPv6"),
        "availability_zone": server.get("availability_zone"),
    }
    await server_refs.check_destination(req, state, server, plan.values, version)
    return plan


def _instances(req: ApiRequest, state: ApiState, plan: BuildPlan, count: int) -> list[Instance]:
    ctx = req.context
    reservation = "r-" + secrets.token_hex(4)
    now = time.time()
    conf = compute_conf(state)
    values = dict(plan.values)
    requested_az = values.pop("availability_zone")
    hostname = values.pop("hostname")
    values.pop("force_host", None)
    metadata = values.pop("metadata")
    found = []
    for index in range(count):
        name = plan.name if count == 1 else f"{plan.name}-{index + 1}"
        found.append(
            Instance(
                uuid=plan.first_uuid if index == 0 else str(uuid.uuid4()),
                display_name=name,
                hostname=hostname or sanitize_hostname(name),
                project_id=ctx.project_id or "",
                user_id=ctx.user_id or "",
                # A volume-backed server has no image of its own (Nova shows "").
                image_ref="" if plan.disks.root_on_volume else plan.image.get("id", ""),
                flavor=plan.flavor,
                vm_state=states.BUILDING,
                task_state=states.SCHEDULING,
                power_state=states.NOSTATE,
                availability_zone=requested_az or conf.default_availability_zone,
                metadata_=dict(metadata),
                system_metadata={},
                reservation_id=reservation,
                launch_index=index,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
    return found


def _spec(req: ApiRequest, plan: BuildPlan, count: int) -> dict[str, Any]:
    return RequestSpec(
        project_id=req.context.project_id or "",
        user_id=req.context.user_id or "",
        flavor=plan.flavor,
        image=plan.image,
        num_instances=count,
        availability_zone=plan.values.get("availability_zone"),
        scheduler_hints=plan.hints,
        force_host=plan.values.get("force_host"),
        requested_networks=[n.to_json() for n in plan.networks],
        block_device_mapping=[d.to_json() for d in plan.disks.devices if d.makes_volume],
        root_on_volume=plan.disks.root_on_volume,
    ).to_dict()


async def _record(
    req: ApiRequest, state: ApiState, plan: BuildPlan, reserved: boot_volumes.Reserved
) -> list[Instance]:
    conf = compute_conf(state)
    limits = await quota_limits.limits(state.db, conf, req.context.project_id or "")
    async with state.db.session() as s:
        # Creates of one project take turns from here to the commit of their instances,
        # so each counts the usage the previous one committed.
        await quota_store.lock_project(s, req.context.project_id or "")
        count = await quota_limits.fitting_count(
            s,
            limits,
            req.context.project_id or "",
            plan.count_min,
            plan.count_max,
            flavor=plan.flavor,
        )
        count = _per_request(state, plan.count_min, count)
        created = _instances(req, state, plan, count)
        spec = _spec(req, plan, count)
        for first in range(0, count, _BATCH):
            await _add(req, s, created[first : first + _BATCH], spec)
        if reserved:
            devices = plan.disks.devices
            boot_volumes.record(s, created[0].uuid, created[0].project_id, devices, reserved)
        if plan.group:
            await server_refs.add_members(s, conf, plan.group, [i.uuid for i in created])
    return created


async def _add(req: ApiRequest, s: AsyncSession, batch: list[Instance], spec: Any) -> None:
    """Write a batch of the new instances, then let other requests run a moment.

    On SQLite the statements run on the event loop, so a hundred instances written in
    one go would hold it for a tenth of a second.
    """
    for instance in batch:
        instance.request_spec = spec
        s.add(instance)
    await s.flush()
    for instance in batch:
        await actions.start_action(s, req.context, instance.uuid, "create")
    await asyncio.sleep(0)


async def _hand_over(
    req: ApiRequest, state: ApiState, created: list[Instance], password: str | None
) -> None:
    spec = created[0].request_spec
    msg = BuildInstances([i.uuid for i in created], spec, admin_pass=password)
    try:
        await state.rpc.cast_conductor(req.context, msg)
    except Exception as exc:
        LOG.exception("compute: cannot hand the build to the conductor")
        async with state.db.session() as s:
            for instance in created:
                row = await s.get(Instance, instance.uuid)
                if row is not None:
                    row.vm_state, row.task_state = states.ERROR, None
                s.add(
                    InstanceFault(
                        instance_uuid=instance.uuid,
                        code=503,
                        message="The conductor could not be reached",
                        details=str(exc),
                        created_at=time.time(),
                    )
                )
        raise ServiceUnavailable("The compute conductor is not reachable; try again.") from None


async def create_server(req: ApiRequest) -> Response:
    state = state_of(req)
    version = req.version or Version(2, 1)
    body = await req.json(server_schema(version))
    target = {"project_id": req.context.project_id, "user_id": req.context.user_id}
    req.enforce("os_compute_api:servers:create", target)
    if body["server"].get("networks"):
        req.enforce("os_compute_api:servers:create:attach_network", target)
    if body["server"].get("trusted_image_certificates"):
        req.enforce("os_compute_api:servers:create:trusted_certs", target)
    plan = await _plan(req, state, body)
    named = plan.disks.named_volumes
    reserved = await boot_volumes.reserve(req, state, plan.first_uuid, named) if named else []
    try:
        created = await _record(req, state, plan, reserved)
    except BaseException:
        await boot_volumes.unreserve(req, state, reserved)
        raise
    await _hand_over(req, state, created, plan.admin_pass)
    if _bool(body["server"].get("return_reservation_id", False)):
        return json_response({"reservation_id": created[0].reservation_id}, 202)
    first = created[0]
    shown: dict[str, Any] = {
        "id": first.uuid,
        "links": viewer(req).links("servers", first.uuid),
        "OS-DCF:diskConfig": body["server"].get("OS-DCF:diskConfig", "MANUAL"),
        "security_groups": [{"name": "default"}],
    }
    if admin_pass.shown(compute_conf(state), plan.admin_pass):
        shown["adminPass"] = plan.admin_pass
    headers = {"Location": shown["links"][0]["href"]}
    return json_response({"server": shown}, 202, headers)
