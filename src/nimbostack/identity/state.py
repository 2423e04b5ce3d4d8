"""IdentityState: what identity's handlers share (database, keys, policy, caches)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from cryptography.fernet import MultiFernet

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Config
from nimbostack.core.db import Database
from nimbostack.identity.tokens.keys import KeyRepository

T = TypeVar("T")


@dataclass
class IdentityState:
    """Per-process identity state, reachable from a handler with ``state_of(req)``.

    ``generation`` increases on every write and drops every cache of derived data
    (validated token bodies, revocation events), so a write takes effect at once in
    this process; other processes see it within ``[identity] cache_time`` seconds.
    """

    conf: Config
    db: Database
    enforcer: Enforcer
    keys: KeyRepository
    fernet: MultiFernet
    public_url: str
    # Encrypts credential blobs and consumer secrets; its own keys, beside the token keys.
    secrets: MultiFernet
    generation: int = 0
    caches: dict[str, dict[Any, tuple[float, Any]]] = field(default_factory=dict)
    _inflight: dict[tuple[str, Any], asyncio.Future[Any]] = field(default_factory=dict)

    def changed(self) -> None:
        """Record that identity data changed: drop every derived cache."""
        self.generation += 1
        self.caches.clear()

    async def memo(self, name: str, key: Any, factory: Callable[[], Awaitable[T]]) -> T:
        """The cached value for ``key``, computed once even when many ask at once.

        The computation runs in a task of its own that every caller awaits through a
        shield: a caller that is cancelled stops waiting, while the computation goes on
        for the others. Entries live ``[identity] cache_time`` seconds, so changes made
        by other processes sharing the database show up within that time.
        """
        hit = self.caches.get(name, {}).get(key)
        if hit is not None and hit[0] > time.monotonic():
            return cast(T, hit[1])
        task = self._inflight.get((name, key))
        if task is None:
            task = asyncio.ensure_future(self._compute(name, key, factory))
            task.add_done_callback(_retrieve)
            self._inflight[(name, key)] = task
        return cast(T, await asyncio.shield(task))

    async def _compute(self, name: str, key: Any, factory: Callable[[], Awaitable[T]]) -> T:
        generation = self.generation
        started = time.monotonic()
        try:
            value = await factory()
        finally:
            self._inflight.pop((name, key), None)
        # A write while computing may have made the value stale: use it, but keep it not.
        if generation == self.generation:
            bucket = self.caches.setdefault(name, {})
            if len(bucket) > 50000:
                bucket.clear()
            bucket[key] = (started + float(self.conf.identity.cache_time), value)
        return value

    def reload_keys(self) -> None:
        self.fernet = self.keys.load()


def _retrieve(task: asyncio.Future[Any]) -> None:
    # When every caller was cancelled, nobody reads the outcome: read it here so that
    # asyncio does not log an error that was never retrieved.
    if not task.cancelled():
        task.exception()


def state_of(req: ApiRequest) -> IdentityState:
    state = req.service_state
    assert isinstance(state, IdentityState)
    return state
