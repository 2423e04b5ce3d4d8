"""Resize (confirm, revert), cold and live migration, evacuation: states and allocations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.messages import (
    ConfirmResize,
    EvacuateInstance,
    LiveMigrateInstance,
    MigrateInstance,
    RevertResize,
)
from nimbostack.compute.objects import migrations
from tests.functional.compute.flow_support import (
    LARGE,
    LOOP_WATCH,
    FlowCloud,
    active_server,
    set_task,
)

pytestmark = LOOP_WATCH


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    await cloud.add_host("h1")
    await cloud.add_host("h2")
    yield cloud
    await cloud.stop()


async def _resize(flow: FlowCloud, uuid: str) -> str:
    await set_task(flow, uuid, states.RESIZE_PREP)
    await flow.rpc.cast_conductor(
        flow.ctx, MigrateInstance(uuid, flow.ctx.request_id, flavor=LARGE)
    )
    await flow.wait_state(uuid, states.RESIZED)
    async with flow.state.db.session() as s:
        record = await migrations.in_progress(s, uuid)
        assert record is not None
        return record.uuid


async def test_resize_waits_for_confirmation_with_both_allocations(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    migration = await _resize(flow, uuid)
    inst = await flow.instance(uuid)
    assert inst.old_flavor is not None
    assert inst.flavor["name"] == "large" and inst.old_flavor["name"] == "small"
    new = await flow.allocations(uuid)
    old = await flow.allocations(migration)
    assert next(iter(new.values()))["resources"]["VCPU"] == 2
    assert next(iter(old.values()))["resources"]["VCPU"] == 1


async def test_confirm_resize_drops_the_old_allocation(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    migration = await _resize(flow, uuid)
    source = (await flow.instance(uuid)).host
    async with flow.state.db.session() as s:
        record = await migrations.get(s, migration)
        assert record is not None
        source = record.source_compute
    await flow.rpc.cast_agent(
        flow.ctx,
        str(source),
        ConfirmResize(uuid, flow.ctx.request_id, migration),
    )
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.flavor["name"] == "large" and inst.old_flavor is None
    assert await flow.allocations(migration) == {}
    assert next(iter((await flow.allocations(uuid)).values()))["resources"]["VCPU"] == 2
    async with flow.state.db.session() as s:
        record = await migrations.get(s, migration)
        assert record is not None and record.status == "confirmed"


async def test_revert_resize_restores_flavor_host_and_allocation(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    before = await flow.instance(uuid)
    migration = await _resize(flow, uuid)
    await set_task(flow, uuid, states.RESIZE_REVERTING)
    dest = (await flow.instance(uuid)).host
    await flow.rpc.cast_agent(flow.ctx, str(dest), RevertResize(uuid, migration, "req-x"))
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.flavor["name"] == "small"
    assert inst.host == before.host
    assert await flow.allocations(migration) == {}
    allocs = await flow.allocations(uuid)
    assert list(allocs) == [await flow.provider_of(str(before.host))]
    assert next(iter(allocs.values()))["resources"]["VCPU"] == 1
    assert uuid in flow.driver(str(before.host)).guests


async def test_cold_migration_moves_to_the_other_host(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    source = (await flow.instance(uuid)).host
    await set_task(flow, uuid, states.RESIZE_PREP)
    await flow.rpc.cast_conductor(flow.ctx, MigrateInstance(uuid, "req-m"))
    inst = await flow.wait_state(uuid, states.RESIZED)
    assert inst.host != source


async def test_resize_without_room_stays_active(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    huge = {**LARGE, "flavorid": "9", "name": "huge", "vcpus": 100000}
    await set_task(flow, uuid, states.RESIZE_PREP)
    await flow.rpc.cast_conductor(flow.ctx, MigrateInstance(uuid, "req-h", flavor=huge))
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.flavor["name"] == "small"
    allocs = await flow.allocations(uuid)
    assert next(iter(allocs.values()))["resources"]["VCPU"] == 1


async def test_live_migration_moves_guest_and_allocation(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    source = str((await flow.instance(uuid)).host)
    dest = "h2" if source == "h1" else "h1"
    await set_task(flow, uuid, states.MIGRATING)
    await flow.rpc.cast_conductor(flow.ctx, LiveMigrateInstance(uuid, "req-l"))
    inst = await flow.wait(uuid, lambda i: i.task_state is None and i.host == dest)
    assert inst.vm_state == states.ACTIVE and inst.power_state == states.RUNNING
    assert uuid in flow.driver(dest).guests and uuid not in flow.driver(source).guests
    assert list(await flow.allocations(uuid)) == [await flow.provider_of(dest)]


async def test_live_migration_failure_keeps_the_source(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    source = str((await flow.instance(uuid)).host)
    flow.driver(source).fail_next("live_migration", "link down")
    await set_task(flow, uuid, states.MIGRATING)
    await flow.rpc.cast_conductor(flow.ctx, LiveMigrateInstance(uuid, "req-l"))
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.host == source
    assert list(await flow.allocations(uuid)) == [await flow.provider_of(source)]


async def test_evacuate_rebuilds_on_another_host(flow: FlowCloud) -> None:
    uuid = await active_server(flow)
    source = str((await flow.instance(uuid)).host)
    await flow.agents[source].kill()
    await set_task(flow, uuid, states.REBUILDING)
    await flow.rpc.cast_conductor(flow.ctx, EvacuateInstance(uuid, "req-e"))
    inst = await flow.wait_state(uuid, states.ACTIVE)
    assert inst.host != source
    assert list(await flow.allocations(uuid)) == [await flow.provider_of(str(inst.host))]
