"""Live migration between agents: the destination prepares, the source sends the guest."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.agent import guest, port_moves
from nimbostack.compute.agent.drivers.base import MigrateData
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.messages import LiveMigration, PreLiveMigration
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
_EXPECTED: list[str | None] = [states.MIGRATING]


def _migrate_data(data: dict[str, Any]) -> MigrateData:
    known = {f.name for f in dataclasses.fields(MigrateData)}
    return MigrateData(**{k: v for k, v in data.items() if k in known})


async def pre_live_migration(
    agent: AgentHost, ctxt: RequestContext, msg: PreLiveMigration
) -> dict[str, Any]:
    """Destination: get ready to receive; answers where the source should send."""
    async with agent.locks.hold(msg.instance_uuid):
        instance = await agent.conductor.get(ctxt, msg.instance_uuid)
        spec = await guest.guest_spec(agent, ctxt, instance)
        ready = await agent.driver.pre_live_migration(spec, _migrate_data(msg.migrate_data))
        return dataclasses.asdict(ready)


async def live_migration(agent: AgentHost, ctxt: RequestContext, msg: LiveMigration) -> None:
    """Source: move the running guest, then report the outcome (which moves placement)."""
    uuid = msg.instance_uuid
    async with agent.locks.hold(uuid):
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_live_migration"):
                await agent.driver.live_migration(uuid, _migrate_data(msg.migrate_data))
                await agent.driver.post_live_migration(uuid)
        except Exception as exc:
            LOG.warning("live migration of %s failed: %s", uuid, exc)
            await agent.conductor.fault(ctxt, uuid, exc)
            await agent.conductor.migration(
                ctxt,
                uuid,
                msg.migration_uuid,
                "error",
                values={"task_state": None},
                expected=_EXPECTED,
            )
            return
        await _ports_follow(agent, ctxt, uuid, _migrate_data(msg.migrate_data).dest_host)
        values = {"task_state": None, "power_state": states.RUNNING}
        await agent.conductor.migration(
            ctxt, uuid, msg.migration_uuid, "completed", values=values, expected=_EXPECTED
        )


async def _ports_follow(agent: AgentHost, ctxt: RequestContext, uuid: str, dest: str) -> None:
    """The guest runs on the destination now: bind its ports there (a failure leaves a
    fault; the guest has moved all the same)."""
    try:
        instance = await agent.conductor.get(ctxt, uuid)
        await port_moves.bind_to(agent, ctxt, instance, dest)
    except Exception as exc:
        LOG.warning("ports of %s did not follow it to %s: %s", uuid, dest, exc)
        await agent.conductor.fault(ctxt, uuid, exc)
