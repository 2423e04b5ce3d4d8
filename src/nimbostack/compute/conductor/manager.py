"""The conductor's RPC endpoint: a thin dispatch to the workflow modules."""

from __future__ import annotations

from typing import Any

from nimbostack.compute.conductor import (
    build,
    evacuate,
    hosts,
    migrate_live,
    moves,
    records,
    resize,
    shelve,
)
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import (
    AddBlockDevice,
    BuildFailed,
    BuildInstances,
    ChangeBlockDevice,
    EvacuateInstance,
    GetInstance,
    InstanceOffloaded,
    InstanceTerminated,
    ListHostInstances,
    LiveMigrateInstance,
    MigrateInstance,
    OffloadDue,
    RecordActionEvent,
    RecordFault,
    RemoveBlockDevice,
    ReportHost,
    UnshelveInstance,
    UpdateInstance,
    UpdateMigration,
)
from nimbostack.compute.service_state import ComputeState
from nimbostack.core import tracing
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import handles

SERVICE = "compute-conductor"


class ConductorManager:
    """Serves ``compute.conductor``."""

    def __init__(self, state: ComputeState) -> None:
        self.state = state
        self.hosts = hosts.HostReports(state)

    @handles(BuildInstances)
    async def build_instances(self, ctxt: RequestContext, msg: BuildInstances) -> None:
        uuid = msg.instance_uuids[0] if msg.instance_uuids else None
        with tracing.span("conductor.build_instances", service=SERVICE, instance_uuid=uuid):
            await build.build_instances(
                self.state, ctxt, msg.instance_uuids, msg.request_spec, msg.admin_pass
            )

    @handles(BuildFailed)
    async def build_failed(self, ctxt: RequestContext, msg: BuildFailed) -> None:
        with tracing.span("conductor.reschedule", service=SERVICE, instance_uuid=msg.instance_uuid):
            await build.build_failed(
                self.state,
                ctxt,
                msg.instance_uuid,
                host=msg.host,
                reason=msg.reason,
                spec_dict=msg.request_spec,
                admin_pass=msg.admin_pass,
                reschedule=msg.reschedule,
            )

    @handles(GetInstance)
    async def get_instance(self, _ctxt: RequestContext, msg: GetInstance) -> InstanceRecord:
        return await records.get_instance(self.state, msg.instance_uuid, msg.read_deleted)

    @handles(UpdateInstance)
    async def update_instance(self, _ctxt: RequestContext, msg: UpdateInstance) -> InstanceRecord:
        return await records.update_instance(
            self.state, msg.instance_uuid, msg.values, msg.expected_task_state
        )

    @handles(ChangeBlockDevice)
    async def change_block_device(self, _ctxt: RequestContext, msg: ChangeBlockDevice) -> bool:
        return await records.change_block_device(
            self.state, msg.bdm_uuid, msg.values, msg.expected_status
        )

    @handles(AddBlockDevice)
    async def add_block_device(self, _ctxt: RequestContext, msg: AddBlockDevice) -> str:
        return await records.add_block_device(self.state, msg)

    @handles(RemoveBlockDevice)
    async def remove_block_device(self, _ctxt: RequestContext, msg: RemoveBlockDevice) -> None:
        await records.remove_block_device(self.state, msg.bdm_uuid)

    @handles(RecordActionEvent)
    async def record_action_event(self, _ctxt: RequestContext, msg: RecordActionEvent) -> None:
        await records.record_event(
            self.state,
            uuid=msg.instance_uuid,
            request_id=msg.request_id,
            event=msg.event,
            phase=msg.phase,
            host=msg.host,
            result=msg.result,
            traceback=msg.traceback,
            start_time=msg.start_time,
        )

    @handles(RecordFault)
    async def record_fault(self, _ctxt: RequestContext, msg: RecordFault) -> None:
        await records.record_fault(
            self.state,
            msg.instance_uuid,
            code=msg.code,
            message=msg.message,
            host=msg.host,
            details=msg.details,
        )

    @handles(ReportHost)
    async def report_host(self, _ctxt: RequestContext, msg: ReportHost) -> dict[str, Any]:
        return await self.hosts.report(msg)

    @handles(ListHostInstances)
    async def list_host_instances(
        self, _ctxt: RequestContext, msg: ListHostInstances
    ) -> dict[str, dict[str, Any]]:
        return await records.host_instances(self.state, msg.host)

    @handles(InstanceTerminated)
    async def instance_terminated(self, _ctxt: RequestContext, msg: InstanceTerminated) -> None:
        await records.instance_terminated(self.state, msg.instance_uuid)

    @handles(InstanceOffloaded)
    async def instance_offloaded(
        self, _ctxt: RequestContext, msg: InstanceOffloaded
    ) -> InstanceRecord:
        return await records.instance_offloaded(
            self.state, msg.instance_uuid, msg.expected_task_state
        )

    @handles(UpdateMigration)
    async def update_migration(self, _ctxt: RequestContext, msg: UpdateMigration) -> dict[str, Any]:
        return await moves.update_migration(
            self.state,
            msg.instance_uuid,
            msg.migration_uuid,
            status=msg.status,
            values=msg.instance_values,
            expected=msg.expected_task_state,
        )

    @handles(MigrateInstance)
    async def migrate_instance(self, ctxt: RequestContext, msg: MigrateInstance) -> None:
        with tracing.span("conductor.migrate", service=SERVICE, instance_uuid=msg.instance_uuid):
            await resize.migrate_instance(self.state, ctxt, msg)

    @handles(LiveMigrateInstance)
    async def live_migrate_instance(self, ctxt: RequestContext, msg: LiveMigrateInstance) -> None:
        with tracing.span(
            "conductor.live_migrate", service=SERVICE, instance_uuid=msg.instance_uuid
        ):
            await migrate_live.live_migrate(self.state, ctxt, msg)

    @handles(EvacuateInstance)
    async def evacuate_instance(self, ctxt: RequestContext, msg: EvacuateInstance) -> None:
        with tracing.span("conductor.evacuate", service=SERVICE, instance_uuid=msg.instance_uuid):
            await evacuate.evacuate(self.state, ctxt, msg)

    @handles(UnshelveInstance)
    async def unshelve_instance(self, ctxt: RequestContext, msg: UnshelveInstance) -> None:
        with tracing.span("conductor.unshelve", service=SERVICE, instance_uuid=msg.instance_uuid):
            await shelve.unshelve(self.state, ctxt, msg)

    @handles(OffloadDue)
    async def offload_due(self, ctxt: RequestContext, _msg: OffloadDue) -> None:
        await shelve.offload_due(self.state, ctxt)
