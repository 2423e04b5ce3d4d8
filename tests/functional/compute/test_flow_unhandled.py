"""A cast the agent cannot handle leaves no instance mid-task: a fault, and no task_state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.messages import TerminateInstance
from nimbostack.compute.objects import instance_queries
from nimbostack.core.rpc import Message
from tests.functional.compute.flow_support import LOOP_WATCH, FlowCloud, active_server, set_task

pytestmark = LOOP_WATCH


@dataclass
class DefragmentInstance(Message):
    """A message no agent handles (as one from a newer API would be)."""

    name = "DefragmentInstance"
    instance_uuid: str
    request_id: str


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    await cloud.add_host("h1")
    yield cloud
    await cloud.stop()


async def _fault_message(flow: FlowCloud, uuid: str) -> str:
    faults = await instance_queries.latest_faults(flow.state.db, [uuid])
    return faults[uuid].message if uuid in faults else ""


async def test_a_message_without_handler_clears_the_task_and_records_a_fault(
    flow: FlowCloud,
) -> None:
    uuid = await active_server(flow)
    await set_task(flow, uuid, "defragmenting")
    await flow.rpc.cast_agent(flow.ctx, "h1", DefragmentInstance(uuid, "req-d"))
    inst = await flow.wait(uuid, lambda i: i.task_state is None)
    assert inst.vm_state == states.ACTIVE
    message = await _fault_message(flow, uuid)
    assert message.startswith("DefragmentInstance could not be handled on h1:")
    assert "no handler for message 'DefragmentInstance'" in message


async def test_a_handler_error_clears_the_task_and_records_a_fault(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    flow.driver("h1").fail_next("destroy", "the disk is busy")
    await set_task(flow, uuid, states.DELETING)
    await flow.rpc.cast_agent(flow.ctx, "h1", TerminateInstance(uuid, "req-t"))
    inst = await flow.wait(uuid, lambda i: i.task_state is None)
    assert inst.vm_state == states.ACTIVE and not inst.deleted
    message = await _fault_message(flow, uuid)
    assert message == "TerminateInstance could not be handled on h1: the disk is busy"
