"""This host's L2 agent as a process of its own (``nimbostack serve network-l2-agent``).

It has no database and no API: only the bus, on which it reports to network-server and
hears its casts. ``nimbostack up`` runs the same agents inside the networking service.
"""

from __future__ import annotations

from nimbostack.core.service import Service
from nimbostack.network import options as _options  # noqa: F401
from nimbostack.network.agents.l2_hosts import start_l2_agents


class NetworkL2AgentService(Service[None]):
    """The L2 agents of this machine, alone."""

    name = "network-l2-agent"
    section = "network_l2"

    async def build_state(self) -> None:
        return None

    async def serve(self) -> None:
        rt = self.runtime
        for agent in await start_l2_agents(rt.conf, self.bus, str(rt.host)):
            self.on_stop(f"L2 agent {agent.host}", agent.stop)
