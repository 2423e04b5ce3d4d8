"""The scheduler's RPC endpoint: capacity reports in, placements out."""

from __future__ import annotations

import dataclasses
import logging

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import handles
from nimbostack.volume import states
from nimbostack.volume.messages import (
    CreateVolume,
    FindBackend,
    NoValidBackend,
    ReportCapacity,
)
from nimbostack.volume.objects import backups, services, user_messages, volumes
from nimbostack.volume.scheduler.pools import Pools
from nimbostack.volume.state import VolumeState

LOG = logging.getLogger(__name__)


class SchedulerManager:
    """Places volumes on backends from the reports the managers send every interval."""

    def __init__(self, state: VolumeState) -> None:
        self.state = state
        opts = state.options
        self.pools = Pools(float(opts.service_down_time))
        self.wait = min(5.0, 2 * float(opts.report_interval))

    @handles(ReportCapacity)
    async def report_capacity(self, ctxt: RequestContext, msg: ReportCapacity) -> None:
        self.pools.update(msg.report)

    async def _disabled(self) -> set[str]:
        async with self.state.db.reader() as s:
            return await services.disabled_backends(s)

    @handles(CreateVolume)
    async def create_volume(self, ctxt: RequestContext, msg: CreateVolume) -> None:
        spec = msg.spec
        await self.pools.wait_for_reports(self.wait)
        try:
            pool = self.pools.select(spec, disabled=await self._disabled())
        except NoValidBackend as exc:
            await self._no_backend(ctxt, spec.volume_id, spec.project_id, str(exc))
            if spec.source == "backup" and spec.source_id:
                async with self.state.db.session() as s:
                    await backups.transition(
                        s,
                        spec.source_id,
                        [states.BACKUP_RESTORING],
                        {"status": states.BACKUP_AVAILABLE},
                    )
            return
        self.pools.consume(pool, spec.size)
        async with self.state.db.session() as s:
            placed = await volumes.transition(
                s, spec.volume_id, [states.CREATING], {"host": f"{pool.host}#{pool.pool}"}
            )
        if not placed:
            LOG.info("volume %s left creating before it was placed", spec.volume_id)
            return
        forward = CreateVolume(dataclasses.replace(spec, backend=pool.host))
        await self.state.rpc.cast_manager(ctxt, pool.host, forward)

    async def _no_backend(
        self, ctxt: RequestContext, volume_id: str, project_id: str, reason: str
    ) -> None:
        LOG.warning("volume %s: %s", volume_id, reason)
        # One transaction: whoever sees the error status finds the message too.
        async with self.state.db.session() as s:
            if not await volumes.transition(
                s, volume_id, [states.CREATING], {"status": states.ERROR}
            ):
                return
            await user_messages.record(
                self.state.db,
                ctxt,
                project_id=project_id,
                resource_type=user_messages.VOLUME,
                resource_uuid=volume_id,
                action=user_messages.SCHEDULE_ALLOCATE_VOLUME,
                detail="no_backend",
                text="Could not find any available weighted backend.",
                ttl=int(self.state.options.message_ttl),
            )

    @handles(FindBackend)
    async def find_backend(self, ctxt: RequestContext, msg: FindBackend) -> str:
        await self.pools.wait_for_reports(self.wait)
        pool = self.pools.select(msg.spec, disabled=await self._disabled(), exclude=msg.exclude)
        self.pools.consume(pool, msg.spec.size)
        return pool.host
