"""IdentityState: what identity's handlers share (database, keys, policy, caches)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import MultiFernet

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Config
from nimbostack.core.db import Database
from nimbostack.identity.tokens.keys import KeyRepository


@dataclass
class IdentityState:
    """Per-process identity state, reachable from a handler with ``state_of(req)``.

    ``generation`` increases on every write; caches of derived data (roles, the
    catalog, validated token bodies) are keyed by it, so a write invalidates them
    at once in this process. With a database shared by several processes, cached
    data is also dropped after ``[identity] cache_time`` seconds.
    """

    conf: Config
    db: Database
    enforcer: Enforcer
    keys: KeyRepository
    fernet: MultiFernet
    public_url: str
    generation: int = 0
    caches: dict[str, dict[Any, Any]] = field(default_factory=dict)
    _cache_epoch: float = field(default_factory=time.monotonic)

    def changed(self) -> None:
        """Record that identity data changed: drop every derived cache."""
        self.generation += 1
        self.caches.clear()

    def cache(self, name: str) -> dict[Any, Any]:
        ttl = float(self.conf.identity.cache_time)
        if time.monotonic() - self._cache_epoch > ttl:
            self.caches.clear()
            self._cache_epoch = time.monotonic()
        return self.caches.setdefault(name, {})

    def reload_keys(self) -> None:
        self.fernet = self.keys.load()


def state_of(req: ApiRequest) -> IdentityState:
    state = req.http.app.state.identity
    assert isinstance(state, IdentityState)
    return state
