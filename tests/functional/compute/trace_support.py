"""Boots one server with the trace sink running and waits until its hops are stored."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from nimbostack.compute import states
from nimbostack.compute.conductor.trace_sink import TraceSink
from nimbostack.compute.objects import traces
from tests.functional.compute.flow_support import FlowCloud


async def boot_traced(flow: FlowCloud, hops: Iterable[str], timeout: float = 15.0) -> str:
    """Boot a server; return its uuid once every span name in ``hops`` is stored.

    The conductor's cast handler can finish after the agent reports ACTIVE, so the
    trace is read back from the database until it is complete (or the time runs out,
    leaving the caller's assertions to say what is missing).
    """
    wanted = list(hops)
    sink = TraceSink(flow.state.db, interval=0.05)
    sink.start()
    try:
        (uuid,) = await flow.boot()
        await flow.wait_state(uuid, states.ACTIVE)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            async with flow.state.db.session() as s:
                names = [span.name for span in await traces.find(s, uuid)]
            if all(any(want in n for n in names) for want in wanted):
                break
            await asyncio.sleep(0.05)
    finally:
        await sink.stop()
    return uuid
