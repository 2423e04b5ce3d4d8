"""Finding the host's port taps: which appeared and which vanished since the last look.

The agent looks at ``ip -j link`` every ``[network_l2] polling_interval`` seconds; a
tap is known by name and index, so one deleted and made again between two looks counts
as gone and new (its new device must be wired afresh).
"""

from __future__ import annotations

from nimbostack.core import netdev
from nimbostack.network.agents.linuxbridge.naming import is_port_tap


async def host_taps() -> dict[str, int]:
    """The host's port taps, with their device indexes."""
    return {
        name: index for name, index in (await netdev.link_indexes()).items() if is_port_tap(name)
    }


def changes(before: dict[str, int], now: dict[str, int]) -> tuple[list[str], list[str]]:
    """The taps that appeared and those that vanished between two looks (sorted)."""
    appeared = sorted(name for name, index in now.items() if before.get(name) != index)
    vanished = sorted(name for name, index in before.items() if now.get(name) != index)
    return appeared, vanished
