"""The type manager: turns a network request into segments, and segments into an MTU.

An admin may name the segment (``provider:*``) or several (``segments``, the
multi-provider extension); a project network gets one from the first
``[ml2] tenant_network_types`` entry with a free id, else 503 ``NoNetworkAvailable``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.core.errors import ConfigError
from nimbostack.network import errors
from nimbostack.network.ml2.drivers import (
    FlatDriver,
    VlanDriver,
    VxlanDriver,
    vlan_ranges,
    vni_ranges,
)
from nimbostack.network.ml2.types import Segment, TypeDriver, invalid

NETWORK_TYPE = "provider:network_type"
PHYSICAL_NETWORK = "provider:physical_network"
SEGMENTATION_ID = "provider:segmentation_id"
PROVIDER_ATTRIBUTES = (NETWORK_TYPE, PHYSICAL_NETWORK, SEGMENTATION_ID)


def _drivers(conf: Config) -> dict[str, TypeDriver]:
    known: dict[str, Any] = {
        "flat": lambda: FlatDriver(list(conf.ml2_type_flat.flat_networks)),
        "vlan": lambda: VlanDriver(vlan_ranges(list(conf.ml2_type_vlan.network_vlan_ranges))),
        "vxlan": lambda: VxlanDriver(vni_ranges(list(conf.ml2_type_vxlan.vni_ranges))),
    }
    drivers: dict[str, TypeDriver] = {}
    for name in conf.ml2.type_drivers:
        if name not in known:
            raise ConfigError(f"[ml2] type_drivers: unknown type {name!r}")
        drivers[name] = known[name]()
    return drivers


class TypeManager:
    """The configured type drivers, and the order project networks try them in."""

    def __init__(self, conf: Config) -> None:
        self.drivers = _drivers(conf)
        self.tenant_types = list(conf.ml2.tenant_network_types)
        for name in self.tenant_types:
            if name not in self.drivers:
                raise ConfigError(f"[ml2] tenant_network_types: {name!r} is not a type driver")
        self.physnet_mtu = int(conf.network.global_physnet_mtu)

    def requested(self, body: dict[str, Any]) -> list[Segment] | None:
        """The validated segments a create request names, or None (a project network)."""
        provider = any(body.get(attr) is not None for attr in PROVIDER_ATTRIBUTES)
        if provider and body.get("segments") is not None:
            raise errors.SegmentsSetInConjunctionWithProviders()
        if provider:
            return [self._segment(body)]
        if body.get("segments") is None:
            return None
        segments = [self._segment(entry) for entry in body["segments"]]
        if len(set(segments)) != len(segments):
            raise errors.SegmentsContainDuplicateEntry()
        return segments

    def _segment(self, entry: dict[str, Any]) -> Segment:
        network_type = entry.get(NETWORK_TYPE)
        if not network_type:
            raise invalid("network_type required")
        driver = self.drivers.get(str(network_type))
        if driver is None:
            raise invalid(f"network_type value '{network_type}' not supported")
        seg_id = entry.get(SEGMENTATION_ID)
        segment = Segment(str(network_type), entry.get(PHYSICAL_NETWORK) or None, seg_id)
        driver.validate(segment)
        return segment

    async def create(self, s: AsyncSession, requested: list[Segment] | None) -> list[Segment]:
        """Take the requested segments, or a project segment when none are requested."""
        if requested is not None:
            return [await self.drivers[seg.network_type].reserve(s, seg) for seg in requested]
        for name in self.tenant_types:
            found = await self.drivers[name].allocate(s)
            if found is not None:
                return [found]
        raise errors.NoNetworkAvailable()

    async def release(self, s: AsyncSession, segments: list[Segment]) -> None:
        for segment in segments:
            driver = self.drivers.get(segment.network_type)
            if driver is not None:
                await driver.release(s, segment)

    async def sync(self, s: AsyncSession) -> None:
        for driver in self.drivers.values():
            await driver.sync(s)

    def mtu(self, segments: list[Segment]) -> int:
        """The largest MTU every segment carries."""
        sizes = [
            self.drivers[seg.network_type].mtu(self.physnet_mtu)
            for seg in segments
            if seg.network_type in self.drivers
        ]
        return min(sizes) if sizes else self.physnet_mtu
