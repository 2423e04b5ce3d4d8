"""Rebuild keeps the power state (stopped stays stopped); unshelve to a named host."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.messages import (
    RebuildInstance,
    SnapshotInstance,
    StopInstance,
    UnshelveInstance,
)
from tests.functional.compute.flow_support import LOOP_WATCH, FlowCloud, active_server, set_task

pytestmark = LOOP_WATCH


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    await cloud.add_host("h1")
    yield cloud
    await cloud.stop()


async def _rebuild(flow: FlowCloud, uuid: str) -> None:
    await set_task(flow, uuid, states.REBUILDING)
    image = (await flow.instance(uuid)).image_ref
    await flow.rpc.cast_agent(flow.ctx, "h1", RebuildInstance(uuid, image, "req-r"))
    await flow.wait(uuid, lambda i: i.task_state is None)


async def test_rebuild_of_a_running_server_leaves_it_active(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    await _rebuild(flow, uuid)
    inst = await flow.instance(uuid)
    assert (inst.vm_state, inst.power_state) == (states.ACTIVE, states.RUNNING)


async def test_rebuild_of_a_stopped_server_leaves_it_stopped(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    await set_task(flow, uuid, states.POWERING_OFF)
    await flow.rpc.cast_agent(flow.ctx, "h1", StopInstance(uuid, "req-s"))
    await flow.wait_state(uuid, states.STOPPED)
    await _rebuild(flow, uuid)
    inst = await flow.instance(uuid)
    assert (inst.vm_state, inst.power_state) == (states.STOPPED, states.SHUTDOWN)
    assert flow.driver("h1").calls[-1] == ("power_off", uuid)


async def test_unshelve_to_a_named_host_lands_there(flow: FlowCloud) -> None:
    await flow.add_host("h2")
    uuid = await active_server(flow)
    source = (await flow.instance(uuid)).host
    await set_task(flow, uuid, states.SHELVING)
    msg = SnapshotInstance(uuid, "snap-1", "req-s", shelve=True, offload=True)
    await flow.rpc.cast_agent(flow.ctx, str(source), msg)
    await flow.wait_state(uuid, states.SHELVED_OFFLOADED)
    # The fuller host: the spreading scheduler would pick the other one by itself.
    other = await active_server(flow)
    target = str((await flow.instance(other)).host)
    await set_task(flow, uuid, states.UNSHELVING)
    await flow.rpc.cast_conductor(flow.ctx, UnshelveInstance(uuid, "req-u", host=target))
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.host == target
