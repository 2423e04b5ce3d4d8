"""This host's L3 agent as a process of its own (``nimbostack serve network-l3-agent``).

It has no database and no API: only the bus, on which it asks network-server for its
routers and hears their changes. ``nimbostack up`` runs the same agent inside the
networking service.
"""

from __future__ import annotations

from nimbostack.core.service import Service
from nimbostack.network import options as _options  # noqa: F401
from nimbostack.network.agents.l3 import runner as l3_runner
from nimbostack.network.agents.metadata.proxies import HaproxyProxies
from nimbostack.network.agents.metadata.service import PROXY_DIR, socket_path


class NetworkL3AgentService(Service[None]):
    """This host's L3 agent, alone."""

    name = "network-l3-agent"
    section = "network_l3"

    async def build_state(self) -> None:
        return None

    async def serve(self) -> None:
        rt = self.runtime
        # Routers' proxies forward to this host's metadata agent's socket.
        proxies = HaproxyProxies(rt.data_dir / PROXY_DIR, socket_path(rt.conf, rt.data_dir))
        agent = await l3_runner.start_l3_agent(
            rt.conf, self.bus, str(rt.host), rt.data_dir, proxies
        )
        self.on_stop("L3 agent", agent.stop)
