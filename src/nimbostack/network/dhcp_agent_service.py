"""This host's DHCP agent as a process of its own (``nimbostack serve network-dhcp-agent``).

It has no database and no API: only the bus, on which it asks network-server for its
networks and hears their changes. ``nimbostack up`` runs the same agent inside the
networking service when real devices are in use.
"""

from __future__ import annotations

from nimbostack.core.service import Service
from nimbostack.network import options as _options  # noqa: F401
from nimbostack.network.agents.dhcp import runner as dhcp_runner
from nimbostack.network.agents.metadata.proxies import HaproxyProxies
from nimbostack.network.agents.metadata.service import PROXY_DIR, socket_path


class NetworkDhcpAgentService(Service[None]):
    """This host's DHCP agent, alone."""

    name = "network-dhcp-agent"
    section = "network_dhcp"

    async def build_state(self) -> None:
        return None

    async def serve(self) -> None:
        rt = self.runtime
        # Isolated networks' proxies forward to this host's metadata agent's socket.
        proxies = HaproxyProxies(rt.data_dir / PROXY_DIR, socket_path(rt.conf, rt.data_dir))
        agent = await dhcp_runner.start_dhcp_agent(
            rt.conf, self.bus, str(rt.host), rt.data_dir, proxies
        )
        self.on_stop("DHCP agent", agent.stop)
