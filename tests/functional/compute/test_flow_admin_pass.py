"""A build's admin password reaches the guest's config drive, and nothing else keeps it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nimbostack.compute import states
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import BuildInstances, RebuildInstance
from nimbostack.compute.objects import instances
from tests.functional.compute.flow_support import LOOP_WATCH, FlowCloud, set_task

pytestmark = LOOP_WATCH
PASSWORD = "Build-Pass-0123"


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    cloud.conf.override("compute", force_config_drive=True)
    await cloud.start()
    yield cloud
    await cloud.stop()


def _drive_password(flow: FlowCloud, host: str, uuid: str) -> str | None:
    drive = flow.driver(host).guests[uuid].spec.config_drive
    assert drive is not None
    meta = json.loads(drive["openstack/latest/meta_data.json"])
    found = meta.get("admin_pass")
    return str(found) if found is not None else None


async def _build(flow: FlowCloud, password: str | None) -> str:
    (uuid,), spec = await flow.record()
    msg = BuildInstances([uuid], spec.to_dict(), admin_pass=password)
    await flow.rpc.cast_conductor(flow.ctx, msg)
    await flow.wait_state(uuid, states.ACTIVE)
    return uuid


async def _stored_anywhere(flow: FlowCloud, text: str) -> bool:
    """Whether any column of any instance row holds ``text``."""
    async with flow.state.db.reader() as s:
        rows = list(await s.scalars(select(Instance)))
    return any(
        text in json.dumps(dataclasses.asdict(instances.to_record(row)), default=str)
        for row in rows
    )


async def test_the_guest_gets_the_password_and_no_record_keeps_it(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    uuid = await _build(flow, PASSWORD)
    assert _drive_password(flow, "h1", uuid) == PASSWORD
    assert not await _stored_anywhere(flow, PASSWORD)
    as_agents_read_it = await flow.agents["h1"].agent.conductor.get(flow.ctx, uuid)
    assert PASSWORD not in json.dumps(dataclasses.asdict(as_agents_read_it))


async def test_a_rescheduled_build_gives_the_next_host_the_password(flow: FlowCloud) -> None:
    # h1 is bigger, so spreading picks it first; its spawn fails once.
    first = await flow.add_host("h1", vcpus=128, memory_mb=524288, local_gb=8000)
    await flow.add_host("h2")
    first.fail_next("spawn", "disk exploded")
    uuid = await _build(flow, PASSWORD)
    assert (await flow.instance(uuid)).host == "h2"
    assert _drive_password(flow, "h2", uuid) == PASSWORD


async def test_a_build_without_password_has_none_in_its_drive(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    uuid = await _build(flow, None)
    assert _drive_password(flow, "h1", uuid) is None


async def test_a_rebuild_hands_over_its_new_password(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    uuid = await _build(flow, PASSWORD)
    await set_task(flow, uuid, states.REBUILDING)
    image = (await flow.instance(uuid)).image_ref
    msg = RebuildInstance(uuid, image, "req-r", admin_pass="Rebuilt-Pass-9")
    await flow.rpc.cast_agent(flow.ctx, "h1", msg)
    await flow.wait(uuid, lambda i: i.task_state is None)
    assert _drive_password(flow, "h1", uuid) == "Rebuilt-Pass-9"
    assert not await _stored_anywhere(flow, "Rebuilt-Pass-9")


def test_messages_never_show_the_password() -> None:
    msg = BuildInstances(["u"], {}, admin_pass=PASSWORD)
    assert PASSWORD not in repr(msg)
    assert PASSWORD not in repr(RebuildInstance("u", "i", "r", admin_pass=PASSWORD))
