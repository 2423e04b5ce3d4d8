"""A boot's hops are stored as spans and `nimbostack trace` renders them in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.cmd.trace import hops, render
from nimbostack.compute import states
from nimbostack.compute.conductor.trace_sink import TraceSink
from nimbostack.compute.objects import traces
from nimbostack.core import tracing
from tests.functional.compute.flow_support import FlowCloud


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    await cloud.start()
    await cloud.add_host("h1")
    yield cloud
    await cloud.stop()


async def test_boot_trace_has_every_hop_in_order(flow: FlowCloud) -> None:
    sink = TraceSink(flow.state.db, interval=0.05)
    sink.start()
    try:
        (uuid,) = await flow.boot()
        await flow.wait_state(uuid, states.ACTIVE)
        # The conductor's cast handler can finish after the agent reports ACTIVE.
        for _ in range(100):
            if any(sp.name == "conductor.build_instances" for sp in tracing.recent_spans()):
                break
            await asyncio.sleep(0.05)
    finally:
        await sink.stop()
    async with flow.state.db.session() as s:
        spans = await traces.find(s, uuid)
    names = [span.name for span in sorted(spans, key=lambda s: s.start)]
    wanted = [
        "conductor.build_instances",
        "scheduler.select_destinations",
        "GET /allocation_candidates",
        "agent.build_and_run_instance",
        "driver.spawn",
    ]
    positions = [next(i for i, n in enumerate(names) if want in n) for want in wanted]
    assert positions == sorted(positions), names
    text = render(uuid, hops(spans))
    assert text.startswith(f"trace of {uuid}:") and "driver.spawn" in text


async def test_unknown_key_has_no_trace(flow: FlowCloud) -> None:
    async with flow.state.db.session() as s:
        assert await traces.find(s, "req-nothing") == []
    assert render("req-nothing", []) == "no trace recorded for req-nothing"
