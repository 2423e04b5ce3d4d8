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

        Entries live ``[identity] cache_time`` seconds, so changes made by other
        processes sharing the database show up within that time.
        """
        bucket = self.caches.setdefault(name, {})
        now = time.monotonic()
        hit = bucket.get(key)
        if hit is not None and hit[0] > now:
            return cast(T, hit[1])
        pending = self._inflight.get((name, key))
        if pending is not None:
            return cast(T, await asyncio.shield(pending))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[(name, key)] = future
        generation = self.generation
        try:
            value = await factory()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # waiters get it; nobody else needs to retrieve it
            raise
        finally:
            self._inflight.pop((name, key), None)
        future.set_result(value)
        if generation == self.generation:
            if len(bucket) > 50000:
                bucket.clear()
            bucket[key] = (now + float(self.conf.identity.cache_time), value)
        return value

    def reload_keys(self) -> None:
        self.fernet = self.keys.load()


def state_of(req: ApiRequest) -> IdentityState:
    state = req.service_state
    assert isinstance(state, IdentityState)
    return state
