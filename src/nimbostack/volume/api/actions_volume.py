"""Volume actions that change the volume itself: extend, retype, bootable, read-only."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import BadRequest, ServiceUnavailable
from nimbostack.core.rpc import RemoteExpectedError, RpcError
from nimbostack.volume import states
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.schemas import BOOLEAN, SIZE, obj
from nimbostack.volume.api.scope import as_bool, at_least
from nimbostack.volume.db.models import Volume
from nimbostack.volume.messages import (
    ExtendVolume,
    FindBackend,
    RetypeVolume,
    TypeSpec,
    VolumeSpec,
)
from nimbostack.volume.objects import quotas, snapshots, types, volumes
from nimbostack.volume.rpcapi import backend_of
from nimbostack.volume.state import VolumeState, state_of

EXTEND = obj({"new_size": SIZE}, ["new_size"])
RETYPE = obj(
    {
        "new_type": {"type": "string", "minLength": 1, "maxLength": 255},
        "migration_policy": {"type": ["string", "null"], "enum": ["never", "on-demand", None]},
    },
    ["new_type"],
)
BOOTABLE = obj({"bootable": BOOLEAN}, ["bootable"])
READONLY = obj({"readonly": BOOLEAN}, ["readonly"])


def _target(volume: Volume) -> dict[str, Any]:
    return {"project_id": volume.project_id}


async def extend(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, EXTEND)
    new_size = int(body["new_size"])
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        attached = volume.status == states.IN_USE
        if attached and at_least(req, mv.VOLUME_EXTEND_INUSE):
            req.enforce("volume:extend_attached_volume", _target(volume))
        else:
            req.enforce("volume:extend", _target(volume))
        expected = [states.AVAILABLE] + ([states.IN_USE] if at_least(req, "3.42") else [])
        if volume.status not in expected:
            raise BadRequest(
                f"Invalid volume: Volume {volume.id} status must be "
                f"{' or '.join(expected)} to extend, currently {volume.status}."
            )
        if new_size <= volume.size:
            raise BadRequest(
                f"Invalid input received: New size for extend must be greater "
                f"than current size. (current: {volume.size}, extended: {new_size})."
            )
        vtype = await types.get_by_id(s, volume.volume_type_id)
        wanted = {"gigabytes": new_size - volume.size}
        await quotas.check(s, state.options, volume.project_id, wanted, vtype.name)
        await _check_size_limit(s, state, volume.project_id, new_size)
        values = {
            "status": states.EXTENDING,
            "previous_status": volume.status,
            "pending_size": new_size,
        }
        if not await volumes.transition(s, volume.id, expected, values):
            raise BadRequest(f"Invalid volume: Volume {volume.id} changed status meanwhile.")
        host = volume.host
    await state.rpc.cast_manager(req.context, str(host), ExtendVolume(volume_id))
    return empty(202)


async def _check_size_limit(s: Any, state: VolumeState, project: str, size: int) -> None:
    limit = (await quotas.limits(s, state.options, project)).get("per_volume_gigabytes", -1)
    if 0 <= limit < size:
        raise quotas.OverQuota(
            f"Requested volume size {size}G is larger than maximum allowed limit {limit}G."
        )


async def retype(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, RETYPE)
    state = state_of(req)
    policy = body.get("migration_policy") or "never"
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume:retype", _target(volume))
        new_type = await types.get(s, req.context, body["new_type"])
        spec = await types.spec_of(s, new_type)
        if spec.extra_specs.get("multiattach", "").lower() == "<is> true":
            req.enforce("volume:multiattach", _target(volume))
        has_snapshots = await snapshots.count_of_volume(s, volume.id) > 0
    if volume.status not in (states.AVAILABLE, states.IN_USE):
        raise BadRequest(
            f"Invalid volume: Volume {volume.id} status must be available or "
            f"in-use, but current status is: {volume.status}."
        )
    if new_type.id == volume.volume_type_id:
        raise BadRequest(
            "Invalid input received: New volume type must be different from the current type."
        )
    destination = await _destination(
        req, state, volume, spec, policy=policy, has_snapshots=has_snapshots
    )
    async with state.db.session() as s:
        wanted = {"volumes": 1, "gigabytes": volume.size}
        per_type = {f"{k}_{new_type.name}": v for k, v in wanted.items()}
        await quotas.check(s, state.options, volume.project_id, per_type, None)
        values = {"status": states.RETYPING, "previous_status": volume.status}
        if not await volumes.transition(s, volume.id, [states.AVAILABLE, states.IN_USE], values):
            raise BadRequest(f"Invalid volume: Volume {volume.id} changed status meanwhile.")
    msg = RetypeVolume(volume.id, new_type.id, destination)
    await state.rpc.cast_manager(req.context, str(volume.host), msg)
    return empty(202)


async def _destination(
    req: ApiRequest,
    state: VolumeState,
    volume: Volume,
    spec: TypeSpec,
    *,
    policy: str,
    has_snapshots: bool,
) -> str | None:
    """None when the volume's backend suits the new type, else where it must move."""
    current = backend_of(str(volume.host or ""))
    base = VolumeSpec(volume.id, 0, volume.project_id, volume.availability_zone, spec)
    base.backend = current
    if await _fits(req, state, FindBackend(base)):
        return None
    if policy != "on-demand":
        raise BadRequest(
            "Invalid volume: Retype needs volume migration but migration policy is 'never'."
        )
    if volume.status == states.IN_USE or has_snapshots:
        raise BadRequest(
            "Invalid volume: Retype requiring migration of an attached volume "
            "or of one with snapshots is not supported."
        )
    base.backend, base.size = None, volume.size
    found = await _fits(req, state, FindBackend(base, current))
    if found is None:
        raise BadRequest("Invalid volume: No valid backend was found for the new type.")
    return found


async def _fits(req: ApiRequest, state: VolumeState, msg: FindBackend) -> str | None:
    """The scheduler's answer: a backend (``host@backend``), or None when none fits."""
    try:
        return str(await state.rpc.call_scheduler(req.context, msg))
    except RemoteExpectedError:
        return None
    except RpcError as exc:
        raise ServiceUnavailable(f"The volume scheduler does not answer: {exc}") from None


async def set_bootable(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, BOOTABLE)
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume:update", _target(volume))
        await volumes.set_values(s, volume.id, {"bootable": as_bool(body["bootable"], "bootable")})
    return empty(200)


async def update_readonly_flag(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, READONLY)
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume:update_readonly_flag", _target(volume))
        if volume.status == states.MAINTENANCE:
            raise BadRequest(
                "Invalid volume: The volume's read-only flag cannot be changed in maintenance mode."
            )
        readonly = as_bool(body["readonly"], "readonly")
        await volumes.set_values(s, volume.id, {"readonly": readonly})
    return empty(202)
