"""Trace storage stays bounded: periodic work leaves no spans, old spans are pruned."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nimbostack.compute.agent.runner import AgentRunner
from nimbostack.compute.conductor.periodic import prune_traces
from nimbostack.compute.conductor.trace_sink import TraceSink
from nimbostack.compute.db.models import Service, TraceSpan
from nimbostack.compute.objects import traces
from nimbostack.core import tracing
from nimbostack.core.config import sample
from tests.functional.compute.flow_support import FlowCloud
from tests.functional.compute.trace_support import boot_traced

HOUR = 3600.0


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[FlowCloud]:
    cloud = FlowCloud(tmp_path)
    cloud.conf.override("compute_agent", report_interval=0.1, sync_power_state_interval=0.1)
    await cloud.start()
    yield cloud
    await cloud.stop()


async def _span_names(flow: FlowCloud) -> list[str]:
    async with flow.state.db.session() as s:
        return list(await s.scalars(select(TraceSpan.name)))


async def _beats_seen(flow: FlowCloud, host: str) -> float | None:
    async with flow.state.db.session() as s:
        return await s.scalar(select(Service.last_seen_up).where(Service.host == host))


async def test_heartbeats_and_power_syncs_leave_no_span(flow: FlowCloud) -> None:
    sink = TraceSink(flow.state.db, interval=0.05)
    sink.start()
    await flow.add_host("h1")
    runner: AgentRunner = flow.agents["h1"]
    await runner.stop()
    await runner.start(periodic=True)  # heartbeats every 0.1 s from now on
    try:
        first = await _beats_seen(flow, "h1")
        deadline = time.monotonic() + 10
        beats = 0
        while beats < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            seen = await _beats_seen(flow, "h1")
            if seen != first:
                beats, first = beats + 1, seen
        assert beats == 5, "the agent stopped reporting"
    finally:
        await sink.stop()
    names = await _span_names(flow)
    assert names == [], names


async def test_a_boot_is_still_traced(flow: FlowCloud) -> None:
    await flow.add_host("h1")
    uuid = await boot_traced(flow, ["agent.build_and_run_instance"])
    names = await _span_names(flow)
    assert any("agent.build_and_run_instance" in n for n in names), names
    assert not any("ReportHost" in n for n in names), names
    assert uuid


def _stored(span_id: str, end: float) -> tracing.Span:
    return tracing.Span(
        trace_id="a" * 32, span_id=span_id, parent_id=None, name=f"span {span_id}",
        service="compute-api", start=end - 1, end=end,
    )  # fmt: skip


async def test_the_conductor_prunes_spans_past_the_retention(flow: FlowCloud) -> None:
    flow.conf.override("trace", retention_hours=2)
    now = time.time()
    async with flow.state.db.session() as s:
        await traces.add(
            s,
            [
                (_stored("0000000000000001", now - 3 * HOUR), None),
                (_stored("0000000000000002", now - 2 * HOUR - 60), None),
                (_stored("0000000000000003", now - 2 * HOUR + 60), None),
                (_stored("0000000000000004", now), None),
            ],
        )
    assert await prune_traces(flow.state) == 2
    assert sorted(await _span_names(flow)) == ["span 0000000000000003", "span 0000000000000004"]
    async with flow.state.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(TraceSpan)) == 2


def test_the_retention_is_a_documented_option() -> None:
    text = sample()
    assert "[trace]" in text
    assert "#retention_hours = 168" in text
    assert "NIMBOSTACK_TRACE__RETENTION_HOURS" in text
