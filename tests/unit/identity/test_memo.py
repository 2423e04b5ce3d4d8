"""IdentityState.memo: one computation per key, shared by every caller asking at once."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from cryptography.fernet import Fernet, MultiFernet

from nimbostack.core.config import load
from nimbostack.identity import options as _options  # noqa: F401  (registers [identity])
from nimbostack.identity.state import IdentityState


def _state() -> IdentityState:
    fernet = MultiFernet([Fernet(Fernet.generate_key())])
    # The database, policy and key repository play no part in the cache.
    unused = cast(Any, None)
    return IdentityState(
        conf=load(None, environ={}),
        db=unused,
        enforcer=unused,
        keys=unused,
        fernet=fernet,
        public_url="http://identity.test",
        secrets=fernet,
    )


class Gate:
    """A factory that counts its runs and finishes only when released."""

    def __init__(self, error: Exception | None = None) -> None:
        self.runs = 0
        self.error = error
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self) -> str:
        self.runs += 1
        self.started.set()
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return f"value-{self.runs}"


async def _waiting_on(state: IdentityState, gate: Gate, callers: int) -> list[asyncio.Task[str]]:
    """``callers`` tasks asking for one key; returns once all of them wait on it.

    Tasks start in creation order, so by the time the computation has started, every
    caller has made its request.
    """
    tasks = [asyncio.create_task(state.memo("things", "key", gate)) for _ in range(callers)]
    await asyncio.wait_for(gate.started.wait(), timeout=5)
    return tasks


async def test_cancelling_the_first_caller_spares_the_others() -> None:
    state, gate = _state(), Gate()
    first, *waiters = await _waiting_on(state, gate, 4)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.release.set()
    results = await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
    assert set(results) == {results[0]} and results[0].startswith("value-")
    assert await state.memo("things", "key", gate) == results[0]  # and it was cached


async def test_cancelling_a_waiter_spares_the_first_caller() -> None:
    state, gate = _state(), Gate()
    first, waiter, other = await _waiting_on(state, gate, 3)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.release.set()
    assert await asyncio.wait_for(asyncio.gather(first, other), timeout=5) == [
        "value-1",
        "value-1",
    ]
    assert gate.runs == 1


async def test_an_error_reaches_every_caller_and_is_not_cached() -> None:
    state, gate = _state(), Gate(LookupError("gone"))
    tasks = await _waiting_on(state, gate, 3)
    gate.release.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=5)
    assert all(isinstance(r, LookupError) for r in results) and gate.runs == 1
    with pytest.raises(LookupError):
        await state.memo("things", "key", gate)
    assert gate.runs == 2
