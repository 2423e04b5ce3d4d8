"""The security-group firewall the L2 agent drives: its interface (``PortFirewall``).

The agent calls ``apply`` with every port it has wired on the host before it reports a
device up and after any change of that set, ``groups_changed`` when the server says
groups' rules or members changed, and ``remove`` when a device leaves the host. The
agent with no firewall (``None``) is ``[network_l2] firewall_driver = noop``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from nimbostack.network.agent_messages import DeviceDetails


class PortFirewall(Protocol):
    """Filters the host's wired ports by their security groups."""

    async def apply(self, ports: Sequence[DeviceDetails]) -> None:
        """Make the rules match ``ports``, the full set of wired ports on this host."""
        ...

    async def groups_changed(
        self, group_ids: Sequence[str], ports: Sequence[DeviceDetails]
    ) -> None:
        """Refresh the rules of the ``ports`` these groups' changes affect."""
        ...

    async def remove(self, device: str) -> None:
        """Drop the rules of a device that left the host."""
        ...
