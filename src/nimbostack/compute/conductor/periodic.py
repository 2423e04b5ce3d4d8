"""The conductor's periodic work: heartbeat, build watchdog, offload timer, trace pruning.

The watchdog is what keeps a build from staying in BUILD forever: a build whose host
stopped reporting is rescheduled (or goes to ERROR), and one that never left
scheduling (a conductor died mid-way) goes to ERROR after ``STUCK_SCHEDULING`` seconds.
Spans older than ``[trace] retention_hours`` are deleted every ``PRUNE_EVERY`` seconds.
None of this periodic work is traced itself.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from nimbostack.compute import states
from nimbostack.compute.conductor import build, records, shelve
from nimbostack.compute.db.models import Instance
from nimbostack.compute.objects import services, traces
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
STUCK_SCHEDULING = 600.0
PRUNE_EVERY = 600.0


async def heartbeat(state: ComputeState, host: str, binary: str, topic: str) -> None:
    await services.beat(state.db, host, binary, topic)


async def watch_builds(state: ComputeState) -> int:
    """Reschedule builds on down hosts; fail builds stuck in scheduling. Returns how many."""
    down_after = float(state.conf.compute.service_down_time)
    now = time.time()
    async with state.db.session() as session:
        svcs = await services.by_host(session)
        rows = list(
            await session.execute(
                select(
                    Instance.uuid, Instance.host, Instance.created_at, Instance.task_state
                ).where(Instance.vm_state == states.BUILDING, Instance.deleted.is_(False))
            )
        )
    ctxt = RequestContext.admin()
    handled = 0
    for uuid, host, created, task in rows:
        if host:
            svc = svcs.get(host)
            if svc is not None and services.is_up(svc, down_after, now):
                continue
            reason = f"Compute host {host} went down during the build."
            await build.build_failed(state, ctxt, uuid, host=host, reason=reason, spec_dict=None)
            handled += 1
        elif task == states.SCHEDULING and now - created > STUCK_SCHEDULING:
            await records.set_error(state, uuid, "Build was not scheduled in time.")
            handled += 1
    return handled


async def prune_traces(state: ComputeState) -> int:
    """Delete the spans older than the retention; returns how many went."""
    before = time.time() - float(state.conf.trace.retention_hours) * 3600.0
    async with state.db.session() as session:
        return await traces.prune(session, before)


async def tick(state: ComputeState, host: str) -> None:
    """One round of the conductor's periodic work."""
    await heartbeat(state, host, services.CONDUCTOR, "compute.conductor")
    await watch_builds(state)
    await shelve.offload_due(state, RequestContext.admin())
