"""`nimbostack trace` finds a boot by server name as well as by uuid or request id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.cmd.trace import AmbiguousName, load
from nimbostack.core.service import Runtime
from tests.functional.compute.flow_support import LOOP_WATCH, FlowCloud
from tests.functional.compute.trace_support import boot_traced

pytestmark = LOOP_WATCH


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    await cloud.add_host("h1")
    yield cloud
    await cloud.stop()


async def _boot_traced(flow: FlowCloud) -> str:
    return await boot_traced(flow, ("conductor.build_instances", "driver.spawn", "instance ACTIVE"))


async def test_a_server_name_resolves_to_its_boot(flow: FlowCloud, tmp_path: Path) -> None:
    uuid = await _boot_traced(flow)
    runtime = Runtime(flow.conf, tmp_path)
    title, groups = await load(runtime, "vm-0")
    assert title == f"vm-0 ({uuid})"
    names = [span.name for span in groups[0]]
    for hop in ("conductor.build_instances", "driver.spawn", "instance ACTIVE"):
        assert hop in names, names
    # The span reporting ACTIVE comes after the guest was spawned.
    assert names.index("instance ACTIVE") > names.index("driver.spawn")
    title, by_uuid = await load(runtime, uuid)
    assert title == uuid
    assert [[s.span_id for s in g] for g in by_uuid] == [[s.span_id for s in g] for g in groups]


async def test_unknown_and_ambiguous_names(flow: FlowCloud, tmp_path: Path) -> None:
    runtime = Runtime(flow.conf, tmp_path)
    assert await load(runtime, "nobody") == ("nobody", [])
    await _boot_traced(flow)
    await _boot_traced(flow)  # a second vm-0
    with pytest.raises(AmbiguousName, match="2 servers are named vm-0: give its uuid"):
        await load(runtime, "vm-0")
