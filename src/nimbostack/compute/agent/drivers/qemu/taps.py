"""A guest's tap devices on the host: made before its QEMU starts, removed when it goes.

A tap is persistent (it outlives QEMU, so a guest adopted after a restart keeps its
NIC) and multi-queue; the networking service's L2 agent finds it by name and plugs it
into the network's bridge. The names a guest was given are kept in its state file, so
whatever destroys the guest removes them without its spec.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nimbostack.compute.agent.drivers.base import Vif
from nimbostack.core import netdev

LOG = logging.getLogger(__name__)
STATE_KEY = "taps"


async def plug(vifs: Iterable[Vif]) -> list[str]:
    """Make each Vif's tap (with its MTU) unless it exists; the tap names."""
    made = []
    for vif in vifs:
        if not vif.tap:
            continue
        if await netdev.link(vif.tap) is None:
            await netdev.add_tap(vif.tap, multi_queue=True)
        await netdev.set_mtu(vif.tap, vif.mtu)
        made.append(vif.tap)
    return made


async def unplug(names: Iterable[str]) -> None:
    """Remove the guest's taps (one already gone is fine)."""
    for name in names:
        try:
            await netdev.delete(name)
        except netdev.NetdevError as exc:  # the guest is gone all the same
            LOG.warning("could not remove tap %s: %s", name, exc)
