"""The metadata agent as a process of its own: ``nimbostack serve network-metadata-agent``.

It has no database and no API of its own: it serves the namespace proxies' unix socket
and asks network-server over the bus (see ``network/agents/metadata/``).
"""

from __future__ import annotations

from nimbostack.core.service import Service
from nimbostack.network.agents.metadata.service import start_metadata_agent


class MetadataAgentService(Service[None]):
    """The metadata agent alone: ``nimbostack serve network-metadata-agent``."""

    name = "network-metadata-agent"
    section = "network_metadata"

    async def build_state(self) -> None:
        return None

    async def serve(self) -> None:
        rt = self.runtime
        agent = await start_metadata_agent(rt.conf, self.bus, rt.data_dir)
        self.on_stop("metadata agent", agent.stop)
