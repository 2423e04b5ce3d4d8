"""The metadata agent's instance lookups over RPC, kept for a few seconds.

A guest's boot asks for a dozen paths in a row; each would otherwise be a call to
network-server. Answers, found or not, are reused for ``ttl`` seconds; the cache holds
at most ``size`` entries and drops the oldest first.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcClient
from nimbostack.network.metadata_messages import GetInstanceForAddress, InstancePort

Key = tuple[str | None, str | None, str]


class InstanceLookup:
    """``GetInstanceForAddress`` through ``network.plugin``, cached for ``ttl`` seconds."""

    def __init__(self, plugin: RpcClient, ttl: float, size: int = 4096) -> None:
        self.plugin = plugin
        self.ttl = ttl
        self.size = size
        self._cache: OrderedDict[Key, tuple[float, InstancePort]] = OrderedDict()

    async def find(
        self, ip_address: str, *, network_id: str | None, router_id: str | None
    ) -> InstancePort:
        key = (network_id, router_id, ip_address)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        msg = GetInstanceForAddress(ip_address, network_id=network_id, router_id=router_id)
        found = _port(await self.plugin.call(RequestContext.admin(), msg))
        if self.ttl > 0:
            self._cache[key] = (now + self.ttl, found)
            self._cache.move_to_end(key)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return found


def _port(raw: object) -> InstancePort:
    if not isinstance(raw, dict):
        return InstancePort()
    known = {f.name for f in dataclasses.fields(InstancePort)}
    return InstancePort(**{k: str(v) for k, v in raw.items() if k in known})
