"""The agent's only way to the database: calls and casts to the conductor."""

from __future__ import annotations

import time
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import (
    AddBlockDevice,
    BuildFailed,
    ChangeBlockDevice,
    GetInstance,
    InstanceOffloaded,
    InstanceTerminated,
    ListHostInstances,
    RecordActionEvent,
    RecordFault,
    RemoveBlockDevice,
    ReportHost,
    UpdateInstance,
    UpdateMigration,
)
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.core.context import RequestContext

Expected = list[str | None] | None


class ConductorApi:
    """Typed helpers over ComputeRpc for one agent host."""

    def __init__(self, rpc: ComputeRpc, host: str, *, one_message_events: bool = False) -> None:
        self.rpc = rpc
        self.host = host
        # Quick steps (the fake driver's) are reported in one message, not two.
        self.one_message_events = one_message_events

    async def get(
        self, ctxt: RequestContext, uuid: str, read_deleted: bool = False
    ) -> InstanceRecord:
        msg = GetInstance(instance_uuid=uuid, read_deleted=read_deleted)
        return InstanceRecord.from_wire(await self.rpc.call_conductor(ctxt, msg))

    async def update(
        self, ctxt: RequestContext, uuid: str, values: dict[str, Any], expected: Expected = None
    ) -> InstanceRecord:
        msg = UpdateInstance(instance_uuid=uuid, values=values, expected_task_state=expected)
        return InstanceRecord.from_wire(await self.rpc.call_conductor(ctxt, msg))

    async def change_block_device(
        self,
        ctxt: RequestContext,
        bdm_uuid: str,
        values: dict[str, Any],
        expected: list[str] | None = None,
    ) -> bool:
        msg = ChangeBlockDevice(bdm_uuid=bdm_uuid, values=values, expected_status=expected)
        return bool(await self.rpc.call_conductor(ctxt, msg))

    async def add_block_device(self, ctxt: RequestContext, msg: AddBlockDevice) -> str:
        return str(await self.rpc.call_conductor(ctxt, msg))

    async def remove_block_device(self, ctxt: RequestContext, bdm_uuid: str) -> None:
        await self.rpc.call_conductor(ctxt, RemoveBlockDevice(bdm_uuid=bdm_uuid))

    @asynccontextmanager
    async def event(
        self, ctxt: RequestContext, uuid: str, request_id: str, name: str
    ) -> AsyncIterator[None]:
        """Record the action event ``name`` around a block: Success, or Error and re-raise."""
        started = time.time()
        if not self.one_message_events:
            await self._event(ctxt, uuid, request_id, name, phase="start")
        try:
            yield
        except Exception:
            await self._event(
                ctxt,
                uuid,
                request_id,
                name,
                phase="finish",
                result="Error",
                tb=traceback.format_exc(),
                started=started,
            )
            raise
        await self._event(
            ctxt, uuid, request_id, name, phase="finish", result="Success", started=started
        )

    async def _event(
        self,
        ctxt: RequestContext,
        uuid: str,
        request_id: str,
        name: str,
        *,
        phase: str,
        result: str | None = None,
        tb: str | None = None,
        started: float | None = None,
    ) -> None:
        msg = RecordActionEvent(
            instance_uuid=uuid,
            request_id=request_id or ctxt.request_id,
            event=name,
            phase=phase,
            host=self.host,
            result=result,
            traceback=tb,
            start_time=started if self.one_message_events else None,
        )
        await self.rpc.cast_conductor(ctxt, msg)

    async def fault(self, ctxt: RequestContext, uuid: str, exc: BaseException) -> None:
        msg = RecordFault(
            instance_uuid=uuid,
            code=500,
            message=str(exc) or type(exc).__name__,
            host=self.host,
            details="".join(traceback.format_exception(exc))[-4000:],
        )
        await self.rpc.call_conductor(ctxt, msg)

    async def build_failed(
        self,
        ctxt: RequestContext,
        uuid: str,
        reason: str,
        spec: dict[str, Any],
        admin_pass: str | None = None,
        *,
        reschedule: bool = True,
    ) -> None:
        msg = BuildFailed(
            instance_uuid=uuid,
            host=self.host,
            reason=reason,
            request_spec=spec,
            admin_pass=admin_pass,
            reschedule=reschedule,
        )
        await self.rpc.cast_conductor(ctxt, msg)

    async def terminated(self, ctxt: RequestContext, uuid: str) -> None:
        await self.rpc.call_conductor(ctxt, InstanceTerminated(instance_uuid=uuid, host=self.host))

    async def offloaded(self, ctxt: RequestContext, uuid: str, expected: Expected) -> None:
        msg = InstanceOffloaded(instance_uuid=uuid, host=self.host, expected_task_state=expected)
        await self.rpc.call_conductor(ctxt, msg)

    async def migration(
        self,
        ctxt: RequestContext,
        uuid: str,
        migration_uuid: str,
        status: str,
        *,
        values: dict[str, Any] | None = None,
        expected: Expected = None,
    ) -> dict[str, Any]:
        msg = UpdateMigration(
            instance_uuid=uuid,
            migration_uuid=migration_uuid,
            status=status,
            instance_values=values or {},
            expected_task_state=expected,
        )
        result: dict[str, Any] = await self.rpc.call_conductor(ctxt, msg)
        return result

    async def host_instances(self, ctxt: RequestContext) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = await self.rpc.call_conductor(
            ctxt, ListHostInstances(host=self.host)
        )
        return result

    async def report(
        self,
        ctxt: RequestContext,
        resources: dict[str, Any],
        guests: dict[str, int],
        inventory: dict[str, Any],
    ) -> dict[str, Any]:
        msg = ReportHost(host=self.host, resources=resources, guests=guests, inventory=inventory)
        result: dict[str, Any] = await self.rpc.call_conductor(ctxt, msg)
        return result
