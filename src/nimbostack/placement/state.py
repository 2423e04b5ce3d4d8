"""PlacementState: what placement's handlers share (database, policy, name caches)."""

from __future__ import annotations

from dataclasses import dataclass

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Config
from nimbostack.core.db import Database


@dataclass
class PlacementState:
    """Per-process placement state, reachable from a handler with ``state_of(req)``."""

    conf: Config
    db: Database
    enforcer: Enforcer
    public_url: str

    @property
    def retries(self) -> int:
        return int(self.conf.placement.allocation_conflict_retry_count)


def state_of(req: ApiRequest) -> PlacementState:
    state = req.service_state
    assert isinstance(state, PlacementState)
    return state
