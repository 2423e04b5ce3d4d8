"""Unshelve (schedule and boot from the shelve snapshot) and the shelved-offload timer.

``shelved_offload_time``: 0 offloads at once (the agent does it right after the
snapshot), -1 never, N > 0 once the instance has been shelved for N seconds.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from sqlalchemy import select

from nimbostack.compute import states
from nimbostack.compute.conductor import moves, records
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import (
    NoValidHost,
    OffloadInstance,
    SpawnOnHost,
    UnexpectedTaskState,
    UnshelveInstance,
    UnshelveOnHost,
)
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
EVENT = "conductor_unshelve_instance"


async def unshelve(state: ComputeState, ctxt: RequestContext, msg: UnshelveInstance) -> None:
    uuid = msg.instance_uuid
    instance = await records.get_instance(state, uuid, read_deleted=False)
    if instance.vm_state == states.SHELVED and instance.host:
        # Still on its host: just start it there again.
        start = UnshelveOnHost(instance_uuid=uuid, request_id=ctxt.request_id)
        await state.rpc.cast_agent(ctxt, str(instance.host), start)
        return
    if msg.availability_zone:
        spec = {**instance.request_spec, "availability_zone": msg.availability_zone}
        instance = dataclasses.replace(instance, request_spec=spec)
    try:
        dest = await moves.schedule(
            state,
            ctxt,
            instance,
            flavor=instance.flavor,
            force_host=msg.host,
            ignore_source=False,
        )
    except NoValidHost as exc:
        await records.update_instance(state, uuid, {"task_state": None}, [states.UNSHELVING])
        await records.record_event(
            state,
            uuid=uuid,
            request_id=ctxt.request_id,
            event=EVENT,
            phase="finish",
            host="",
            result="Error",
            traceback=str(exc),
        )
        return
    values = {"host": dest["host"], "node": dest["nodename"]}
    await records.update_instance(state, uuid, values, [states.UNSHELVING])
    meta = instance.system_metadata or {}
    image_ref = str(meta.get("shelved_image_id") or instance.image_ref)
    spawn = SpawnOnHost(
        instance_uuid=uuid,
        image_ref=image_ref,
        node=str(dest["nodename"]),
        request_id=ctxt.request_id,
        reason="unshelve",
    )
    await state.rpc.cast_agent(ctxt, str(dest["host"]), spawn)


async def offload_due(state: ComputeState, ctxt: RequestContext) -> int:
    """Ask agents to offload instances shelved longer than shelved_offload_time."""
    wait = int(state.conf.compute.shelved_offload_time)
    if wait <= 0:
        return 0
    now = time.time()
    async with state.db.session() as session:
        rows = await session.execute(
            select(Instance.uuid, Instance.host, Instance.system_metadata).where(
                Instance.vm_state == states.SHELVED,
                Instance.task_state.is_(None),
                Instance.deleted.is_(False),
            )
        )
        due = [
            (uuid, host)
            for uuid, host, meta in rows
            if host and now - float((meta or {}).get("shelved_at", now)) >= wait
        ]
    for uuid, host in due:
        try:
            await records.update_instance(
                state, uuid, {"task_state": states.SHELVING_OFFLOADING}, [None]
            )
        except UnexpectedTaskState:
            continue
        offload = OffloadInstance(instance_uuid=uuid, request_id=ctxt.request_id)
        await state.rpc.cast_agent(ctxt, host, offload)
    return len(due)
