"""One lock per instance, so that two operations on the same guest never interleave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InstanceLocks:
    """Locks created on demand and dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, uuid: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(uuid, (asyncio.Lock(), 0))
        self._locks[uuid] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[uuid]
            if users <= 1:
                del self._locks[uuid]
            else:
                self._locks[uuid] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
