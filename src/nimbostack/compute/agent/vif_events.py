"""Waiting for ``network-vif-plugged``: the events a build expects for its ports.

A build starts expecting before it makes its ports, since the networking service may
report a port wired before the build asks (the fake L2 agent does so at once). Events
that arrive for an instance nobody expects are dropped, as Nova drops them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

VIF_PLUGGED = "network-vif-plugged"


class VifPlugTimeout(Exception):
    """Not every port of the instance was reported wired in time."""


class VifWaiter:
    """The ports of one instance reported plugged (or failed) so far."""

    def __init__(self) -> None:
        self.plugged: set[str] = set()
        self.failed: set[str] = set()
        self._changed = asyncio.Event()

    def arrived(self, tag: str, status: str) -> None:
        (self.failed if status == "failed" else self.plugged).add(tag)
        self._changed.set()

    async def wait(self, port_ids: Iterable[str], timeout: float) -> None:
        """Until every port is plugged; VifPlugTimeout past ``timeout`` or on a failure."""
        wanted = set(port_ids)
        try:
            async with asyncio.timeout(timeout):
                while not wanted <= self.plugged:
                    if wanted & self.failed:
                        raise VifPlugTimeout(
                            f"Port(s) {', '.join(sorted(wanted & self.failed))} failed to plug"
                        )
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            missing = ", ".join(sorted(wanted - self.plugged))
            raise VifPlugTimeout(
                f"Timed out after {timeout:g} s waiting for network-vif-plugged of {missing}"
            ) from None


class VifEvents:
    """The instances of one agent host whose ports' events are awaited."""

    def __init__(self) -> None:
        self._waiters: dict[str, VifWaiter] = {}

    def expect(self, instance_uuid: str) -> VifWaiter:
        waiter = self._waiters[instance_uuid] = VifWaiter()
        return waiter

    def forget(self, instance_uuid: str) -> None:
        self._waiters.pop(instance_uuid, None)

    def deliver(self, instance_uuid: str, tag: str | None, status: str) -> bool:
        """Hand an event to the build expecting it; whether one did."""
        waiter = self._waiters.get(instance_uuid)
        if waiter is None or not tag:
            return False
        waiter.arrived(tag, status)
        return True
