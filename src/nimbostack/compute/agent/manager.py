"""The agent's RPC endpoint on ``compute.agent.<host>``: a thin dispatch to the workflows."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from nimbostack.compute.agent import (
    actions,
    build,
    interfaces,
    live_migrate,
    resize,
    shelve,
    snapshot,
    volumes,
)
from nimbostack.compute.agent.drivers.base import GuestNotFound
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.agent.vif_events import VIF_PLUGGED
from nimbostack.compute.device_messages import (
    AttachInterface,
    AttachVolume,
    DetachInterface,
    DetachVolume,
)
from nimbostack.compute.messages import (
    BuildAndRunInstance,
    ConfirmResize,
    ExternalEvent,
    FinishResize,
    FinishRevertResize,
    GetConsole,
    GetConsoleOutput,
    InstanceNotFound,
    InstanceTask,
    LiveMigration,
    OffloadInstance,
    PauseInstance,
    PreLiveMigration,
    PrepResize,
    RebootInstance,
    RebuildInstance,
    RescueInstance,
    ResizeInstance,
    ResumeInstance,
    RevertResize,
    SnapshotInstance,
    SpawnOnHost,
    StartInstance,
    StopInstance,
    SuspendInstance,
    TerminateInstance,
    UnpauseInstance,
    UnrescueInstance,
    UnshelveOnHost,
)
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import handles

LOG = logging.getLogger(__name__)


class AgentManager:
    """Serves one host's agent topic."""

    def __init__(self, agent: AgentHost) -> None:
        self.agent = agent

    @handles(BuildAndRunInstance)
    async def build_and_run_instance(self, ctxt: RequestContext, msg: BuildAndRunInstance) -> None:
        await build.build_and_run(self.agent, ctxt, msg)

    @handles(SpawnOnHost)
    async def spawn_on_host(self, ctxt: RequestContext, msg: SpawnOnHost) -> None:
        await build.spawn_on_host(self.agent, ctxt, msg)

    @handles(TerminateInstance)
    async def terminate_instance(self, ctxt: RequestContext, msg: TerminateInstance) -> None:
        await actions.terminate(self.agent, ctxt, msg.instance_uuid, msg.request_id)

    @handles(OffloadInstance)
    async def offload_instance(self, ctxt: RequestContext, msg: OffloadInstance) -> None:
        await shelve.offload(self.agent, ctxt, msg.instance_uuid, msg.request_id)

    @handles(AttachVolume)
    async def attach_volume(self, ctxt: RequestContext, msg: AttachVolume) -> None:
        await volumes.attach(self.agent, ctxt, msg)

    @handles(DetachVolume)
    async def detach_volume(self, ctxt: RequestContext, msg: DetachVolume) -> None:
        await volumes.detach(self.agent, ctxt, msg)

    @handles(AttachInterface)
    async def attach_interface(self, ctxt: RequestContext, msg: AttachInterface) -> str:
        return await interfaces.attach(self.agent, ctxt, msg)

    @handles(DetachInterface)
    async def detach_interface(self, ctxt: RequestContext, msg: DetachInterface) -> None:
        await interfaces.detach(self.agent, ctxt, msg)

    @handles(ConfirmResize)
    async def confirm_resize(self, ctxt: RequestContext, msg: ConfirmResize) -> None:
        await resize.confirm_resize(self.agent, ctxt, msg)

    async def _simple(self, ctxt: RequestContext, msg: InstanceTask) -> None:
        action = actions.simple_action(msg)
        await actions.run_simple(self.agent, ctxt, msg.instance_uuid, action, msg.request_id)

    @handles(StopInstance)
    async def stop_instance(self, ctxt: RequestContext, msg: StopInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(StartInstance)
    async def start_instance(self, ctxt: RequestContext, msg: StartInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(RebootInstance)
    async def reboot_instance(self, ctxt: RequestContext, msg: RebootInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(PauseInstance)
    async def pause_instance(self, ctxt: RequestContext, msg: PauseInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(UnpauseInstance)
    async def unpause_instance(self, ctxt: RequestContext, msg: UnpauseInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(SuspendInstance)
    async def suspend_instance(self, ctxt: RequestContext, msg: SuspendInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(ResumeInstance)
    async def resume_instance(self, ctxt: RequestContext, msg: ResumeInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(UnrescueInstance)
    async def unrescue_instance(self, ctxt: RequestContext, msg: UnrescueInstance) -> None:
        await self._simple(ctxt, msg)

    @handles(UnshelveOnHost)
    async def unshelve_on_host(self, ctxt: RequestContext, msg: UnshelveOnHost) -> None:
        await self._simple(ctxt, msg)

    @handles(SnapshotInstance)
    async def snapshot_instance(self, ctxt: RequestContext, msg: SnapshotInstance) -> None:
        await snapshot.snapshot(self.agent, ctxt, msg)

    @handles(RebuildInstance)
    async def rebuild_instance(self, ctxt: RequestContext, msg: RebuildInstance) -> None:
        await actions.rebuild(self.agent, ctxt, msg)

    @handles(RescueInstance)
    async def rescue_instance(self, ctxt: RequestContext, msg: RescueInstance) -> None:
        await actions.rescue(self.agent, ctxt, msg)

    @handles(PrepResize)
    async def prep_resize(self, ctxt: RequestContext, msg: PrepResize) -> None:
        await resize.prep_resize(self.agent, ctxt, msg)

    @handles(ResizeInstance)
    async def resize_instance(self, ctxt: RequestContext, msg: ResizeInstance) -> None:
        await resize.resize_instance(self.agent, ctxt, msg)

    @handles(FinishResize)
    async def finish_resize(self, ctxt: RequestContext, msg: FinishResize) -> None:
        await resize.finish_resize(self.agent, ctxt, msg)

    @handles(RevertResize)
    async def revert_resize(self, ctxt: RequestContext, msg: RevertResize) -> None:
        await resize.revert_resize(self.agent, ctxt, msg)

    @handles(FinishRevertResize)
    async def finish_revert_resize(self, ctxt: RequestContext, msg: FinishRevertResize) -> None:
        await resize.finish_revert_resize(self.agent, ctxt, msg)

    @handles(PreLiveMigration)
    async def pre_live_migration(
        self, ctxt: RequestContext, msg: PreLiveMigration
    ) -> dict[str, Any]:
        return await live_migrate.pre_live_migration(self.agent, ctxt, msg)

    @handles(LiveMigration)
    async def live_migration(self, ctxt: RequestContext, msg: LiveMigration) -> None:
        await live_migrate.live_migration(self.agent, ctxt, msg)

    @handles(GetConsoleOutput)
    async def get_console_output(self, _ctxt: RequestContext, msg: GetConsoleOutput) -> str:
        try:
            return await self.agent.driver.console_output(msg.instance_uuid, msg.length)
        except GuestNotFound as exc:
            raise InstanceNotFound(str(exc)) from None

    @handles(GetConsole)
    async def get_console(self, _ctxt: RequestContext, msg: GetConsole) -> dict[str, Any]:
        try:
            return dataclasses.asdict(await self.agent.driver.console(msg.instance_uuid))
        except GuestNotFound as exc:
            raise InstanceNotFound(str(exc)) from None

    @handles(ExternalEvent)
    async def external_event(self, ctxt: RequestContext, msg: ExternalEvent) -> None:
        if msg.event == volumes.VOLUME_EXTENDED:
            await volumes.extended(self.agent, ctxt, msg)
            return
        if msg.event == VIF_PLUGGED:
            if not self.agent.vif_events.deliver(msg.instance_uuid, msg.tag, msg.status):
                LOG.debug("%s of %s with nobody waiting", msg.event, msg.instance_uuid)
            return
        waiter = self.agent.waiters.pop((msg.instance_uuid, msg.event), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(msg.status)
        else:
            LOG.debug("event %s for %s with nobody waiting", msg.event, msg.instance_uuid)
