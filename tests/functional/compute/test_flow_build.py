"""The build flow end to end without the API: conductor, scheduler, placement, fake agents."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.base import ImageRefused
from nimbostack.compute.conductor import periodic
from nimbostack.compute.db.models import InstanceAction, InstanceActionEvent
from nimbostack.compute.messages import TerminateInstance
from nimbostack.compute.objects import faults
from tests.functional.compute.flow_support import LARGE, LOOP_WATCH, SMALL, FlowCloud
from tests.support.waiting import await_until

pytestmark = LOOP_WATCH


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    yield cloud
    await cloud.stop()


async def test_build_reaches_active_with_its_allocation(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    (uuid,) = await flow.boot()
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.host == "h1" and inst.node == "h1"
    assert inst.power_state == states.RUNNING and inst.launched_at
    allocs = await flow.allocations(uuid)
    assert next(iter(allocs.values()))["resources"] == {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
    assert uuid in flow.driver("h1").guests


async def test_build_records_the_agent_event(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    (uuid,) = await flow.boot()
    await flow.wait_state(uuid, states.ACTIVE)

    async def finished_events() -> dict[str, str | None]:
        async with flow.state.db.session() as s:
            rows = await s.execute(
                select(InstanceActionEvent.event, InstanceActionEvent.result)
                .join(InstanceAction, InstanceAction.id == InstanceActionEvent.action_id)
                .where(InstanceAction.instance_uuid == uuid)
            )
            events = dict(rows.tuples().all())
        return events if events and all(events.values()) else {}

    # The agent's events are casts: they may land after the instance is ACTIVE.
    events = await await_until(finished_events, 10, "the build's action event recorded")
    assert events == {"compute_build_and_run_instance": "Success"}


async def test_failed_build_is_rescheduled_to_another_host(flow: FlowCloud) -> None:
    # h1 is bigger, so spreading picks it first; its spawn fails once.
    d1 = await flow.add_host("h1", vcpus=128, memory_mb=524288, local_gb=8000)
    await flow.add_host("h2")
    d1.fail_next("spawn", "disk exploded")
    (uuid,) = await flow.boot()
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.host == "h2"
    assert inst.request_spec["attempts"] == ["h1", "h2"]
    assert list(await flow.allocations(uuid)) == [await flow.provider_of("h2")]
    assert uuid not in d1.guests


async def test_build_failing_everywhere_goes_to_error_without_allocation(flow: FlowCloud) -> None:
    flow.conf.override("compute", max_attempts=2)
    for host in ("h1", "h2", "h3"):
        (await flow.add_host(host)).fail_next("spawn", "no luck")
    (uuid,) = await flow.boot()
    inst = await flow.wait_state(uuid, states.ERROR)
    assert len(inst.request_spec["attempts"]) == 2
    assert await flow.allocations(uuid) == {}
    async with flow.state.db.session() as s:
        fault = await faults.latest(s, uuid)
    assert fault is not None
    assert fault.message.startswith("No valid host was found. Exceeded maximum number of retries")


async def test_refused_image_aborts_the_build_without_rescheduling(flow: FlowCloud) -> None:
    d1 = await flow.add_host("h1", vcpus=128, memory_mb=524288, local_gb=8000)
    d2 = await flow.add_host("h2")
    reason = "Image i-1 is refused by this host: Image data has a backing file, which is refused."
    d1.fail_next("spawn", reason, ImageRefused)
    (uuid,) = await flow.boot()
    inst = await flow.wait_state(uuid, states.ERROR)
    assert inst.request_spec["attempts"] == ["h1"]
    assert await flow.allocations(uuid) == {}
    assert ("spawn", uuid) not in d2.calls
    async with flow.state.db.session() as s:
        fault = await faults.latest(s, uuid)
    assert fault is not None
    assert fault.message == f"Build of instance {uuid} aborted: {reason}"


async def test_unsatisfiable_anti_affinity_is_no_valid_host(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    gid = await flow.group("anti-affinity")
    first = await flow.boot(scheduler_hints={"group": gid})
    await flow.add_members(gid, first)
    await flow.wait_state(first[0], states.ACTIVE)
    (second,) = await flow.boot(scheduler_hints={"group": gid})
    await flow.add_members(gid, [second])
    inst = await flow.wait_state(second, states.ERROR)
    assert inst.host is None
    assert await flow.allocations(second) == {}
    async with flow.state.db.session() as s:
        fault = await faults.latest(s, second)
    assert fault is not None and fault.message.startswith("No valid host was found")


async def test_anti_affinity_spreads_one_request_over_hosts(flow: FlowCloud) -> None:
    for host in ("h1", "h2", "h3"):
        await flow.add_host(host)
    gid = await flow.group("anti-affinity")
    uuids, spec = await flow.record(3, scheduler_hints={"group": gid})
    await flow.add_members(gid, uuids)
    from nimbostack.compute.messages import BuildInstances

    await flow.rpc.cast_conductor(flow.ctx, BuildInstances(uuids, spec.to_dict()))
    hosts = {(await flow.wait_state(u, states.ACTIVE)).host for u in uuids}
    assert hosts == {"h1", "h2", "h3"}


async def test_affinity_keeps_members_together(flow: FlowCloud) -> None:
    for host in ("h1", "h2", "h3"):
        await flow.add_host(host)
    gid = await flow.group("affinity")
    uuids, spec = await flow.record(3, scheduler_hints={"group": gid})
    await flow.add_members(gid, uuids)
    from nimbostack.compute.messages import BuildInstances

    await flow.rpc.cast_conductor(flow.ctx, BuildInstances(uuids, spec.to_dict()))
    hosts = {(await flow.wait_state(u, states.ACTIVE)).host for u in uuids}
    assert len(hosts) == 1


async def test_no_host_big_enough_is_no_valid_host(flow: FlowCloud) -> None:
    await flow.add_host("h1", vcpus=1, memory_mb=256, local_gb=10)
    (uuid,) = await flow.boot(flavor=LARGE)
    await flow.wait_state(uuid, states.ERROR)
    assert await flow.allocations(uuid) == {}


async def test_concurrent_builds_never_overcommit(flow: FlowCloud) -> None:
    # Each host fits exactly 4 small instances (4 vCPU at ratio 1.0).
    flow.conf.override("compute_agent", cpu_allocation_ratio=1.0)
    for host in ("h1", "h2"):
        await flow.add_host(host, vcpus=4, memory_mb=65536, local_gb=100)
    batches = await asyncio.gather(*(flow.boot() for _ in range(12)))
    uuids = [u for batch in batches for u in batch]
    finals = [await flow.wait(u, lambda i: i.task_state is None) for u in uuids]
    active = [i for i in finals if i.vm_state == states.ACTIVE]
    assert len(active) == 8
    assert all(i.vm_state == states.ERROR for i in finals if i not in active)
    for host in ("h1", "h2"):
        assert (await flow.usages(host))["VCPU"] == 4


async def test_killed_agent_build_is_rescheduled_and_leaks_nothing(flow: FlowCloud) -> None:
    flow.conf.override("compute", service_down_time=1)
    hang = asyncio.Event()
    d1 = await flow.add_host("h1")
    original = d1.spawn
    late_spawn_done = asyncio.Event()

    async def stuck(spec):  # type: ignore[no-untyped-def]
        await hang.wait()
        try:
            await original(spec)
        finally:
            late_spawn_done.set()

    d1.spawn = stuck  # type: ignore[method-assign]
    (uuid,) = await flow.boot(force_host="h1")
    await flow.wait(uuid, lambda i: i.task_state == states.SPAWNING)
    await flow.agents["h1"].kill()
    await flow.add_host("h2")
    spec = (await flow.instance(uuid)).request_spec
    spec["force_host"] = None
    async with flow.state.db.session() as s:
        from nimbostack.compute.objects import instances

        await instances.update(s, uuid, {"request_spec": spec})
    await flow.wait_host_down("h1")
    await flow.agents["h2"].agent.conductor.report(flow.ctx, *await _report_args(flow, "h2"))
    assert await periodic.watch_builds(flow.state) == 1
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.host == "h2"
    allocs = await flow.allocations(uuid)
    assert list(allocs) == [await flow.provider_of("h2")]
    hang.set()
    await asyncio.wait_for(late_spawn_done.wait(), 10)
    # The late spawn on the dead host is cleaned up.
    await await_until(lambda: uuid not in d1.guests, 10, "the late guest on h1 removed")


async def _report_args(flow: FlowCloud, host: str) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    import dataclasses

    agent = flow.agents[host].agent
    res = dataclasses.asdict(await agent.driver.resources())
    res["traits"] = []
    return res, {}, agent.inventory_options()


async def test_killed_agent_without_alternate_goes_to_error(flow: FlowCloud) -> None:
    flow.conf.override("compute", service_down_time=1)
    d1 = await flow.add_host("h1")
    hang = asyncio.Event()

    async def stuck(spec):  # type: ignore[no-untyped-def]
        await hang.wait()

    d1.spawn = stuck  # type: ignore[method-assign]
    (uuid,) = await flow.boot()
    await flow.wait(uuid, lambda i: i.task_state == states.SPAWNING)
    await flow.agents["h1"].kill()
    await flow.wait_host_down("h1")
    await periodic.watch_builds(flow.state)
    inst = await flow.wait_state(uuid, states.ERROR)
    assert inst.vm_state == states.ERROR
    assert await flow.allocations(uuid) == {}
    hang.set()


async def test_terminate_frees_the_allocation(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    (uuid,) = await flow.boot()
    await flow.wait_state(uuid, states.ACTIVE)
    async with flow.state.db.session() as s:
        from nimbostack.compute.objects import instances

        await instances.update(s, uuid, {"task_state": states.DELETING})
    await flow.rpc.cast_agent(flow.ctx, "h1", TerminateInstance(uuid, flow.ctx.request_id))
    inst = await flow.wait(uuid, lambda i: i.deleted)
    assert inst.vm_state == states.DELETED
    assert await flow.allocations(uuid) == {}
    assert uuid not in flow.driver("h1").guests


async def test_small_flavor_spreads_across_hosts(flow: FlowCloud) -> None:
    for host in ("h1", "h2", "h3", "h4"):
        await flow.add_host(host)
    uuids = [u for _ in range(8) for u in await flow.boot(flavor=SMALL)]
    hosts = {(await flow.wait_state(u, states.ACTIVE)).host for u in uuids}
    assert len(hosts) >= 3
