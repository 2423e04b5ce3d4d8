"""One agent host's parts: its name, driver, conductor link, image cache, locks and options."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nimbostack.clients.network import NetworkClient
from nimbostack.compute.agent.conductor_api import ConductorApi
from nimbostack.compute.agent.drivers.base import Driver
from nimbostack.compute.agent.images import Access, ImageCache
from nimbostack.compute.agent.locks import InstanceLocks
from nimbostack.compute.agent.vif_events import VifEvents
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.compute.volume_access import VolumeAccess
from nimbostack.core.config import Config
from nimbostack.core.context import RequestContext


@dataclass
class AgentHost:
    """Everything an agent workflow needs; one per simulated or real host."""

    host: str
    driver: Driver
    conductor: ConductorApi
    rpc: ComputeRpc
    conf: Config
    images: ImageCache
    image_access: Any  # Callable[[RequestContext], Access]: the image endpoint and token
    volumes: VolumeAccess | None = None  # block storage, for volume attachments
    locks: InstanceLocks = field(default_factory=InstanceLocks)
    # External events (network-vif-plugged...) that a workflow is waiting for.
    waiters: dict[tuple[str, str], asyncio.Future[str]] = field(default_factory=dict)
    # The networking service as compute itself (None: no networking; builds need none).
    network: Callable[[], NetworkClient] | None = None
    vif_events: VifEvents = field(default_factory=VifEvents)

    def access(self, ctxt: RequestContext) -> Access:
        result: Access = self.image_access(ctxt)
        return result

    def block_storage(self) -> VolumeAccess:
        if self.volumes is None:
            raise RuntimeError("this agent has no block storage access")
        return self.volumes

    def inventory_options(self) -> dict[str, Any]:
        opts = self.conf.compute_agent
        return {
            "cpu_allocation_ratio": opts.cpu_allocation_ratio,
            "ram_allocation_ratio": opts.ram_allocation_ratio,
            "disk_allocation_ratio": opts.disk_allocation_ratio,
            "reserved_host_memory_mb": opts.reserved_host_memory_mb,
            "reserved_host_disk_mb": opts.reserved_host_disk_mb,
        }
