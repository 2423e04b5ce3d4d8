"""Shelve and offload per shelved_offload_time, unshelve, power sync, restart recovery."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.agent import power_sync, recover
from nimbostack.compute.conductor import shelve
from nimbostack.compute.messages import (
    InstanceTask,
    PauseInstance,
    RebootInstance,
    SnapshotInstance,
    StopInstance,
    SuspendInstance,
    UnshelveInstance,
)
from nimbostack.compute.objects import instances
from nimbostack.core.context import RequestContext
from tests.functional.compute.flow_support import LOOP_WATCH, FlowCloud, active_server, set_task

pytestmark = LOOP_WATCH


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    await cloud.add_host("h1")
    yield cloud
    await cloud.stop()


async def _shelve(flow: FlowCloud, uuid: str, offload: bool) -> None:
    await set_task(flow, uuid, states.SHELVING)
    msg = SnapshotInstance(uuid, "snap-1", "req-s", shelve=True, offload=offload)
    await flow.rpc.cast_agent(flow.ctx, "h1", msg)


async def test_shelve_with_offload_zero_frees_the_host(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    await _shelve(flow, uuid, offload=True)
    inst = await flow.wait_state(uuid, states.SHELVED_OFFLOADED)
    assert inst.host is None and inst.system_metadata["shelved_image_id"] == "snap-1"
    assert await flow.allocations(uuid) == {}
    assert uuid not in flow.driver("h1").guests


async def test_shelve_never_offloads_with_minus_one(flow: FlowCloud) -> None:
    flow.conf.override("compute", shelved_offload_time=-1)
    uuid = await active_server(flow)
    await _shelve(flow, uuid, offload=False)
    inst = await flow.wait_state(uuid, states.SHELVED)
    assert inst.power_state == states.SHUTDOWN
    assert await shelve.offload_due(flow.state, RequestContext.admin()) == 0
    assert (await flow.instance(uuid)).vm_state == states.SHELVED
    assert await flow.allocations(uuid) != {}


async def _shelved_ago(flow: FlowCloud, uuid: str, seconds: float) -> None:
    """Move the instance's shelve time ``seconds`` into the past, as if that long went by."""
    async with flow.state.db.session() as s:
        inst = await instances.get_for_update(s, uuid)
        meta = dict(inst.system_metadata)
        meta["shelved_at"] = time.time() - seconds
        await instances.update(s, uuid, {"system_metadata": meta})


async def test_shelve_offloads_after_the_configured_time(flow: FlowCloud) -> None:
    # Time is moved by rewriting when the instance was shelved, never waited for: the
    # offload time is long, and each side of it is missed by a wide margin.
    wait = 3600
    flow.conf.override("compute", shelved_offload_time=wait)
    uuid = await active_server(flow)
    await _shelve(flow, uuid, offload=False)
    await flow.wait_state(uuid, states.SHELVED)
    assert await shelve.offload_due(flow.state, RequestContext.admin()) == 0
    await _shelved_ago(flow, uuid, wait - 60)
    assert await shelve.offload_due(flow.state, RequestContext.admin()) == 0
    await _shelved_ago(flow, uuid, wait + 1)
    assert await shelve.offload_due(flow.state, RequestContext.admin()) == 1
    await flow.wait_state(uuid, states.SHELVED_OFFLOADED)
    assert await flow.allocations(uuid) == {}


async def test_unshelve_schedules_and_boots_again(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    await _shelve(flow, uuid, offload=True)
    await flow.wait_state(uuid, states.SHELVED_OFFLOADED)
    await set_task(flow, uuid, states.UNSHELVING)
    await flow.rpc.cast_conductor(flow.ctx, UnshelveInstance(uuid, "req-u"))
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.host == "h1" and "shelved_image_id" not in inst.system_metadata
    assert await flow.allocations(uuid) != {}


@pytest.mark.parametrize(
    ("action", "task", "vm_state", "power"),
    [
        (StopInstance, states.POWERING_OFF, states.STOPPED, states.SHUTDOWN),
        (PauseInstance, states.PAUSING, states.PAUSED, states.PAUSED_POWER),
        (SuspendInstance, states.SUSPENDING, states.SUSPENDED, states.SUSPENDED_POWER),
        (RebootInstance, states.REBOOTING_HARD, states.ACTIVE, states.RUNNING),
    ],
)
async def test_simple_actions_reach_their_state(
    flow: FlowCloud, action: type[InstanceTask], task: str, vm_state: str, power: int
) -> None:
    uuid = await active_server(flow)
    await set_task(flow, uuid, task)
    msg = (
        RebootInstance(uuid, "req-a", hard=True)
        if action is RebootInstance
        else action(uuid, "req-a")
    )
    await flow.rpc.cast_agent(flow.ctx, "h1", msg)
    inst = await flow.wait_state(uuid, vm_state)
    assert inst.power_state == power


async def test_failed_action_keeps_state_and_records_a_fault(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    flow.driver("h1").fail_next("pause", "cannot freeze")
    await set_task(flow, uuid, states.PAUSING)
    await flow.rpc.cast_agent(flow.ctx, "h1", PauseInstance(uuid, "req-a"))
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.power_state == states.RUNNING


async def test_power_sync_marks_a_dead_guest_shutoff(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    flow.driver("h1").guests[uuid].power = states.SHUTDOWN
    assert await power_sync.sync(flow.agents["h1"].agent) == 1
    inst = await flow.instance(uuid)
    assert inst.vm_state == states.STOPPED and inst.power_state == states.SHUTDOWN


async def test_restart_clears_a_task_left_behind(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    await set_task(flow, uuid, states.POWERING_OFF)  # the agent died before acting
    await recover.recover(flow.agents["h1"].agent)
    inst = await flow.instance(uuid)
    assert inst.task_state is None and inst.vm_state == states.ACTIVE


async def test_restart_finishes_a_delete(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    await set_task(flow, uuid, states.DELETING)
    await recover.recover(flow.agents["h1"].agent)
    assert (await flow.instance(uuid)).deleted
    assert await flow.allocations(uuid) == {}
