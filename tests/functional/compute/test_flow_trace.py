"""A boot's hops are stored as spans and `nimbostack trace` renders them in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.cmd.trace import hops, render
from nimbostack.compute.objects import traces
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


async def test_boot_trace_has_every_hop_in_order(flow: FlowCloud) -> None:
    wanted = [
        "conductor.build_instances",
        "scheduler.select_destinations",
        "GET /allocation_candidates",
        "agent.build_and_run_instance",
        "driver.spawn",
    ]
    uuid = await boot_traced(flow, wanted)
    async with flow.state.db.session() as s:
        spans = await traces.find(s, uuid)
    names = [span.name for span in sorted(spans, key=lambda s: s.start)]
    missing = [want for want in wanted if not any(want in n for n in names)]
    assert not missing, names
    positions = [next(i for i, n in enumerate(names) if want in n) for want in wanted]
    assert positions == sorted(positions), names
    text = render(uuid, hops(spans))
    assert text.startswith(f"trace of {uuid}:") and "driver.spawn" in text


async def test_unknown_key_has_no_trace(flow: FlowCloud) -> None:
    async with flow.state.db.session() as s:
        assert await traces.find(s, "req-nothing") == []
    assert render("req-nothing", []) == "no trace recorded for req-nothing"
