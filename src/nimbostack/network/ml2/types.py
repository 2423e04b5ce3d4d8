"""The segment a network lives on, and the interface every type driver implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import ConfigError
from nimbostack.network.errors import InvalidInput

FLAT = "flat"
VLAN = "vlan"
VXLAN = "vxlan"
MIN_VLAN, MAX_VLAN = 1, 4094
MIN_VNI, MAX_VNI = 1, 2**24 - 1
# Outer Ethernet (14) + IPv4 (20) + UDP (8) + VXLAN (8): what VXLAN takes from the MTU.
VXLAN_OVERHEAD = 50


@dataclass(frozen=True)
class Segment:
    """A network's place on the wire: a type, and for some types a physnet and an id."""

    network_type: str
    physical_network: str | None = None
    segmentation_id: int | None = None


class TypeDriver(Protocol):
    """One network type: validates provider segments, hands out and takes back ids."""

    name: str

    def validate(self, segment: Segment) -> None:
        """Raise InvalidInput if an admin's provider segment makes no sense for the type."""

    async def reserve(self, s: AsyncSession, segment: Segment) -> Segment:
        """Take the provider segment (a free id is chosen if it names none)."""

    async def allocate(self, s: AsyncSession) -> Segment | None:
        """A free segment for a project network, or None if the type has none left."""

    async def release(self, s: AsyncSession, segment: Segment) -> None:
        """Give the segment back (its network is being deleted)."""

    async def sync(self, s: AsyncSession) -> None:
        """Make the allocation table match the configured ranges (at start-up)."""

    def mtu(self, physnet_mtu: int) -> int:
        """The MTU a network of this type gets on a physical network of ``physnet_mtu``."""


def invalid(message: str) -> InvalidInput:
    return InvalidInput(error_message=message)


def parse_range(raw: str, low: int, high: int, what: str) -> tuple[int, int]:
    """``min:max`` within [low, high], for the ranges of the ML2 options."""
    try:
        first, last = (int(part) for part in raw.split(":"))
    except ValueError:
        raise ConfigError(f"{what}: {raw!r} is not <min>:<max>") from None
    if not low <= first <= last <= high:
        raise ConfigError(f"{what}: {raw!r} must be within {low}:{high}, min <= max")
    return first, last
