"""The agent's per-instance locks: one operation at a time per guest, guests in parallel."""

from __future__ import annotations

import asyncio

from nimbostack.compute.agent.locks import InstanceLocks


async def test_operations_on_one_instance_never_interleave() -> None:
    locks, order = InstanceLocks(), []

    async def op(name: str) -> None:
        async with locks.hold("i1"):
            order.append(f"{name}-in")
            await asyncio.sleep(0.01)
            order.append(f"{name}-out")

    await asyncio.gather(op("a"), op("b"))
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])
    assert len(locks) == 0


async def test_different_instances_run_side_by_side() -> None:
    locks = InstanceLocks()
    both_in = asyncio.Barrier(2)

    async def op(uuid: str) -> None:
        async with locks.hold(uuid):
            await both_in.wait()  # would never return if the locks serialised them

    await asyncio.wait_for(asyncio.gather(op("i1"), op("i2")), 1.0)
