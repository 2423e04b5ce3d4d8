"""Shelving: shelve (snapshot then stop), shelveOffload, unshelve."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute import states as st
from nimbostack.compute.api import action_guard, boot_volumes, snapshots
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.compute.api.server_actions_power import cast
from nimbostack.compute.api.server_lookup import target
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import OffloadInstance, SnapshotInstance, UnshelveInstance
from nimbostack.compute.objects import services
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import BadRequest, Conflict

SHELVE = Transition(
    "shelve", (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED), task_state=st.SHELVING
)
OFFLOAD = Transition("shelveOffload", (st.SHELVED,), task_state=st.SHELVING_OFFLOADING)
UNSHELVE = Transition("unshelve", (st.SHELVED, st.SHELVED_OFFLOADED), task_state=st.UNSHELVING)


async def shelve(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    action_guard.check(req, instance, SHELVE)
    boot_volumes.refuse_volume_backed(instance, "shelve")
    image_id = await snapshots.queue_image(
        req, state, instance, f"{instance.display_name}-shelved", {}, shelve=True
    )
    meta = {"shelved_image_id": image_id}
    try:
        await action_guard.begin(req, state, instance, SHELVE, {"system_metadata": meta})
    except Exception:
        await snapshots.discard_image(req, state, image_id)
        raise
    offload = int(compute_conf(state).shelved_offload_time) == 0
    msg = SnapshotInstance(
        instance.uuid, image_id, req.context.request_id, shelve=True, offload=offload
    )
    await state.rpc.cast_agent(req.context, instance.host or "", msg)
    return empty(202)


async def shelve_offload(req: ApiRequest, instance: Instance, body: Any) -> Response:
    await action_guard.begin(req, state_of(req), instance, OFFLOAD)
    await cast(req, instance, OffloadInstance(instance.uuid, req.context.request_id))
    return empty(202)


def _unshelve_zone(req: ApiRequest, instance: Instance, body: Any) -> str | None:
    if body is None:
        return None
    if not isinstance(body, dict) or not (req.version or Version(2, 1)).matches("2.77"):
        raise BadRequest("Invalid input for field 'unshelve': must be null")
    unknown = set(body) - {"availability_zone", "host"}
    if unknown:
        raise BadRequest(f"Additional properties are not allowed ({', '.join(sorted(unknown))})")
    zone = body.get("availability_zone")
    if zone is not None and instance.vm_state != st.SHELVED_OFFLOADED:
        raise BadRequest(
            f"The availability_zone can only be given when unshelving an offloaded server "
            f"(it is {instance.vm_state})."
        )
    return str(zone) if zone else None


async def _unshelve_host(req: ApiRequest, instance: Instance, body: Any) -> str | None:
    """The destination an admin names (2.91+); only an offloaded server can be sent there."""
    host = body.get("host") if isinstance(body, dict) else None
    if host is None:
        return None
    if not isinstance(host, str) or not (req.version or Version(2, 1)).matches("2.91"):
        raise BadRequest("Invalid input for field 'unshelve.host'")
    req.enforce("os_compute_api:os-shelve:unshelve_to_host", target(instance))
    if instance.vm_state != st.SHELVED_OFFLOADED:
        raise Conflict(
            f"Cannot 'unshelve' instance {instance.uuid} to a host while it is in "
            f"vm_state {instance.vm_state}"
        )
    async with state_of(req).db.session() as s:
        if host not in await services.by_host(s):
            raise BadRequest(f"Compute host {host} could not be found.")
    return host


async def unshelve(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    zone = _unshelve_zone(req, instance, body)
    host = await _unshelve_host(req, instance, body)
    await action_guard.begin(req, state, instance, UNSHELVE)
    msg = UnshelveInstance(instance.uuid, req.context.request_id, availability_zone=zone, host=host)
    await state.rpc.cast_conductor(req.context, msg)
    return empty(202)


ACTIONS: dict[str, Any] = {
    "shelve": shelve,
    "shelveOffload": shelve_offload,
    "unshelve": unshelve,
}
