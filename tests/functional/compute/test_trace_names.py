"""`nimbostack trace` finds a boot by server name as well as by uuid or request id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.cmd.trace import AmbiguousName, load
from nimbostack.compute import states
from nimbostack.compute.conductor.trace_sink import TraceSink
from nimbostack.core import tracing
from nimbostack.core.service import Runtime
from tests.functional.compute.flow_support import FlowCloud


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    await cloud.add_host("h1")
    yield cloud
    await cloud.stop()


async def _boot_traced(flow: FlowCloud) -> str:
    sink = TraceSink(flow.state.db, interval=0.05)
    sink.start()
    try:
        (uuid,) = await flow.boot()  # named vm-0
        await flow.wait_state(uuid, states.ACTIVE)
        # The conductor's cast handler can finish after the agent reports ACTIVE: wait
        # for its span to end before the sink's last flush.
        for _ in range(100):
            if any(sp.name == "conductor.build_instances" for sp in tracing.recent_spans()):
                break
            await asyncio.sleep(0.05)
    finally:
        await sink.stop()
    return uuid


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
