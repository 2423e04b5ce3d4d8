"""NetworkState: what the networking handlers share (database, policy, type drivers...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Config
from nimbostack.core.db import Database
from nimbostack.network.extensions import Registry
from nimbostack.network.l3_rpc import L3Notifier
from nimbostack.network.ml2.manager import TypeManager
from nimbostack.network.plugin_rpc import AgentNotifier, VifEvents

if TYPE_CHECKING:
    from nimbostack.network.dhcp_rpc import DhcpNotifier


@dataclass
class NetworkState:
    """Per-process networking state, reachable from a handler with ``state_of(req)``."""

    conf: Config
    db: Database
    enforcer: Enforcer
    extensions: Registry
    types: TypeManager
    # The agents' bus and compute's events; None where no agents run (API-only tests).
    agents: AgentNotifier | None = None
    vif_events: VifEvents | None = None
    l3: L3Notifier | None = None
    dhcp: DhcpNotifier | None = None

    @property
    def base_mac(self) -> str:
        return str(self.conf.network.base_mac)

    @property
    def dns_domain(self) -> str:
        return str(self.conf.network.dns_domain).strip(".")

    @property
    def agent_down_time(self) -> float:
        return float(self.conf.network.agent_down_time)

    @property
    def max_limit(self) -> int | None:
        configured = int(self.conf.network.pagination_max_limit)
        return configured if configured > 0 else None


def state_of(req: ApiRequest) -> NetworkState:
    state = req.service_state
    assert isinstance(state, NetworkState)
    return state
