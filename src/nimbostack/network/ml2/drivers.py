"""The flat, VLAN and VXLAN type drivers.

Validation messages are Neutron's, since clients and operators read them.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import ConfigError
from nimbostack.network import errors
from nimbostack.network.db.models import FlatAllocation, VlanAllocation, VxlanAllocation
from nimbostack.network.db.sql import insert_ignore
from nimbostack.network.ml2.ranges import IdPool, Ranges
from nimbostack.network.ml2.types import (
    FLAT,
    MAX_VLAN,
    MAX_VNI,
    MIN_VLAN,
    MIN_VNI,
    VLAN,
    VXLAN,
    VXLAN_OVERHEAD,
    Segment,
    invalid,
    parse_range,
)


class FlatDriver:
    """Untagged networks: a physical network carries at most one of them."""

    name = FLAT

    def __init__(self, flat_networks: list[str]) -> None:
        self.flat_networks = flat_networks

    def validate(self, segment: Segment) -> None:
        physnet = segment.physical_network
        if not physnet:
            raise invalid("physical_network required for flat provider network")
        if not self.flat_networks:
            raise invalid("Flat provider networks are disabled")
        if "*" not in self.flat_networks and physnet not in self.flat_networks:
            raise invalid(f"physical_network '{physnet}' unknown for flat provider network")
        if segment.segmentation_id is not None:
            raise invalid("segmentation_id prohibited for flat provider network")

    async def reserve(self, s: AsyncSession, segment: Segment) -> Segment:
        physnet = str(segment.physical_network)
        if not await insert_ignore(s, FlatAllocation, [{"physical_network": physnet}]):
            raise errors.FlatNetworkInUse(physical_network=physnet)
        return segment

    async def allocate(self, s: AsyncSession) -> Segment | None:
        return None  # flat networks are made by admins only

    async def release(self, s: AsyncSession, segment: Segment) -> None:
        await s.execute(
            delete(FlatAllocation).where(
                FlatAllocation.physical_network == segment.physical_network
            )
        )

    async def sync(self, s: AsyncSession) -> None:
        """Nothing to prepare: a flat allocation exists only while taken."""

    def mtu(self, physnet_mtu: int) -> int:
        return physnet_mtu


def vlan_ranges(entries: list[str]) -> Ranges:
    """``physnet[:min:max]`` entries; a bare physnet allows provider networks only."""
    ranges: Ranges = {}
    for entry in entries:
        physnet, _, span = entry.partition(":")
        if not physnet:
            raise ConfigError(f"[ml2_type_vlan] network_vlan_ranges: {entry!r} has no name")
        spans = ranges.setdefault(physnet, [])
        if span:
            spans.append(parse_range(span, MIN_VLAN, MAX_VLAN, "[ml2_type_vlan] ranges"))
    return ranges


class VlanDriver:
    """802.1Q networks on physical networks, with project networks from the ranges."""

    name = VLAN

    def __init__(self, ranges: Ranges) -> None:
        self.pool = IdPool(
            VlanAllocation, VlanAllocation.vlan_id, VlanAllocation.physical_network, ranges
        )

    def validate(self, segment: Segment) -> None:
        physnet, seg_id = segment.physical_network, segment.segmentation_id
        if physnet:
            if physnet not in self.pool.ranges:
                raise invalid(f"physical_network '{physnet}' unknown for VLAN provider network")
            if seg_id is not None and not MIN_VLAN <= seg_id <= MAX_VLAN:
                raise invalid(f"segmentation_id out of range ({MIN_VLAN} through {MAX_VLAN})")
        elif seg_id is not None:
            raise invalid("segmentation_id requires physical_network for VLAN provider network")

    async def reserve(self, s: AsyncSession, segment: Segment) -> Segment:
        physnet, seg_id = segment.physical_network, segment.segmentation_id
        if seg_id is None:
            found = await self.pool.take_any(s, [physnet] if physnet else list(self.pool.ranges))
            if found is None:
                raise errors.NoNetworkAvailable()
            return Segment(VLAN, found[0], found[1])
        if not await self.pool.take(s, physnet, seg_id):
            raise errors.VlanIdInUse(vlan_id=seg_id, physical_network=physnet)
        return segment

    async def allocate(self, s: AsyncSession) -> Segment | None:
        found = await self.pool.take_any(s, [p for p, spans in self.pool.ranges.items() if spans])
        return None if found is None else Segment(VLAN, found[0], found[1])

    async def release(self, s: AsyncSession, segment: Segment) -> None:
        if segment.segmentation_id is not None:
            await self.pool.give_back(s, segment.physical_network, segment.segmentation_id)

    async def sync(self, s: AsyncSession) -> None:
        await self.pool.sync(s)

    def mtu(self, physnet_mtu: int) -> int:
        return physnet_mtu


def vni_ranges(entries: list[str]) -> Ranges:
    spans = [parse_range(e, MIN_VNI, MAX_VNI, "[ml2_type_vxlan] vni_ranges") for e in entries]
    return {None: spans}


class VxlanDriver:
    """VXLAN overlay networks: any number, each with its own VNI."""

    name = VXLAN

    def __init__(self, ranges: Ranges) -> None:
        self.pool = IdPool(VxlanAllocation, VxlanAllocation.vxlan_vni, None, ranges)

    def validate(self, segment: Segment) -> None:
        if segment.physical_network:
            raise invalid("provider:physical_network specified for vxlan network")
        seg_id = segment.segmentation_id
        if seg_id is not None and not MIN_VNI <= seg_id <= MAX_VNI:
            raise invalid(f"segmentation_id out of range ({MIN_VNI} through {MAX_VNI})")

    async def reserve(self, s: AsyncSession, segment: Segment) -> Segment:
        if segment.segmentation_id is None:
            found = await self.allocate(s)
            if found is None:
                raise errors.NoNetworkAvailable()
            return found
        if not await self.pool.take(s, None, segment.segmentation_id):
            raise errors.TunnelIdInUse(tunnel_id=segment.segmentation_id)
        return segment

    async def allocate(self, s: AsyncSession) -> Segment | None:
        found = await self.pool.take_any(s, [None])
        return None if found is None else Segment(VXLAN, None, found[1])

    async def release(self, s: AsyncSession, segment: Segment) -> None:
        if segment.segmentation_id is not None:
            await self.pool.give_back(s, None, segment.segmentation_id)

    async def sync(self, s: AsyncSession) -> None:
        await self.pool.sync(s)

    def mtu(self, physnet_mtu: int) -> int:
        return physnet_mtu - VXLAN_OVERHEAD
