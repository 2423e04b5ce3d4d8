"""The build workflow: schedule, cast to the chosen agent, reschedule on failure or give up.

A build's retry state travels in its request spec: ``attempts`` lists the hosts tried,
``alternates`` the scheduler's unclaimed runners-up. The spec is also kept on the
instance so that the watchdog can reschedule a build whose host went down.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.conductor import records
from nimbostack.compute.messages import (
    BuildAndRunInstance,
    InstanceNotFound,
    NoValidHost,
    SelectDestinations,
    UnexpectedTaskState,
)
from nimbostack.compute.objects.faults import NO_VALID_HOST
from nimbostack.compute.scheduler.request_spec import RequestSpec
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcError

LOG = logging.getLogger(__name__)
EVENT = "conductor_schedule_and_build_instances"
_BUILD_TASKS: list[str | None] = [
    None,
    states.SCHEDULING,
    states.NETWORKING,
    states.BLOCK_DEVICE_MAPPING,
    states.SPAWNING,
]


async def build_instances(
    state: ComputeState,
    ctxt: RequestContext,
    uuids: list[str],
    spec_dict: dict[str, Any],
    admin_pass: str | None = None,
) -> None:
    """Schedule the instances and send each to its host (with the build's password)."""
    spec = RequestSpec.from_dict(spec_dict)
    try:
        selections = await state.rpc.call_scheduler(
            ctxt, SelectDestinations(request_spec=spec.to_dict(), instance_uuids=uuids)
        )
    except NoValidHost as exc:
        for uuid in uuids:
            await _fail(state, ctxt, uuid, str(exc))
        return
    except RpcError as exc:
        LOG.error("scheduling %s failed: %s", uuids, exc)
        for uuid in uuids:
            await _fail(state, ctxt, uuid, f"{NO_VALID_HOST}Scheduling failed: {exc}")
        return
    for uuid, hosts in zip(uuids, selections, strict=True):
        own = RequestSpec.from_dict(spec.to_dict())
        own.alternates = hosts[1:]
        await _send(state, ctxt, uuid, own, hosts[0], admin_pass=admin_pass)


async def _send(
    state: ComputeState,
    ctxt: RequestContext,
    uuid: str,
    spec: RequestSpec,
    selection: dict[str, Any],
    *,
    admin_pass: str | None,
) -> None:
    """Point the instance at the claimed host and cast the build there."""
    host = str(selection["host"])
    spec.attempts = [*spec.attempts, host]
    values = {
        "host": host,
        "node": selection["nodename"],
        "task_state": states.SCHEDULING,
        "request_spec": spec.to_dict(),
    }
    if not spec.availability_zone:
        values["availability_zone"] = state.conf.compute.default_availability_zone
    try:
        await records.update_instance(state, uuid, values, [states.SCHEDULING])
    except (InstanceNotFound, UnexpectedTaskState):
        # Deleted while it was being scheduled: give the claim back.
        LOG.info("instance %s went away during scheduling", uuid)
        await state.placement.delete_allocations(uuid)
        return
    msg = BuildAndRunInstance(
        instance_uuid=uuid,
        request_spec=spec.to_dict(),
        node=str(selection["nodename"]),
        request_id=ctxt.request_id,
        admin_pass=admin_pass,
    )
    await state.rpc.cast_agent(ctxt, host, msg)


async def _fail(state: ComputeState, ctxt: RequestContext, uuid: str, message: str) -> None:
    await state.placement.delete_allocations(uuid)
    await records.set_error(state, uuid, message)
    await records.record_event(
        state,
        uuid=uuid,
        request_id=ctxt.request_id,
        event=EVENT,
        phase="finish",
        host="",
        result="Error",
        traceback=message,
    )


async def build_failed(
    state: ComputeState,
    ctxt: RequestContext,
    uuid: str,
    *,
    host: str,
    reason: str,
    spec_dict: dict[str, Any] | None,
    admin_pass: str | None = None,
    reschedule: bool = True,
) -> None:
    """Free the failed host's claim, then try an alternate, a fresh pick, or give up.

    The next host gets the build's ``admin_pass`` when the failed one handed it back;
    a build rescheduled because its host went down has none (it is kept nowhere).
    """
    await state.placement.delete_allocations(uuid)
    try:
        instance = await records.get_instance(state, uuid, read_deleted=False)
    except InstanceNotFound:
        return
    if instance.vm_state != states.BUILDING:
        return
    if not reschedule:
        LOG.info("build of %s aborted on %s: %s", uuid, host, reason)
        await _fail(state, ctxt, uuid, f"Build of instance {uuid} aborted: {reason}")
        return
    reset = {"task_state": states.SCHEDULING, "host": None, "node": None}
    try:
        await records.update_instance(state, uuid, reset, _BUILD_TASKS)
    except (InstanceNotFound, UnexpectedTaskState):
        return  # being deleted: the delete finishes the job
    spec = RequestSpec.from_dict(spec_dict or instance.request_spec)
    if host not in spec.attempts:
        spec.attempts.append(host)
    max_attempts = int(state.conf.compute.max_attempts)
    LOG.info(
        "build of %s failed on %s (%s); attempt %d of %d",
        uuid,
        host,
        reason,
        len(spec.attempts),
        max_attempts,
    )
    if len(spec.attempts) < max_attempts:
        selection = await _next_host(state, ctxt, uuid, spec)
        if selection is not None:
            await _send(state, ctxt, uuid, spec, selection, admin_pass=admin_pass)
            return
    message = (
        f"{NO_VALID_HOST}Exceeded maximum number of retries. Exhausted all hosts available "
        f"for retrying build failures for instance {uuid}. Last error: {reason}"
    )
    await _fail(state, ctxt, uuid, message)


async def _next_host(
    state: ComputeState, ctxt: RequestContext, uuid: str, spec: RequestSpec
) -> dict[str, Any] | None:
    """Claim an alternate; when none fits any more, ask the scheduler once again."""
    while spec.alternates:
        alternate = spec.alternates.pop(0)
        if alternate["host"] in spec.attempts:
            continue
        ok = await state.placement.put_allocations(
            uuid,
            alternate["allocation_request"]["allocations"],
            project_id=spec.project_id,
            user_id=spec.user_id,
            generation=None,
        )
        if ok:
            return alternate
    try:
        selections = await state.rpc.call_scheduler(
            ctxt, SelectDestinations(request_spec=spec.to_dict(), instance_uuids=[uuid])
        )
    except (NoValidHost, RpcError):
        return None
    spec.alternates = selections[0][1:]
    return dict(selections[0][0])
