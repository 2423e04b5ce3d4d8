"""A guest's taps on the host as the QEMU driver makes them (needs root and iproute2)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from nimbostack.compute.agent.drivers.base import Vif
from nimbostack.compute.agent.drivers.qemu import taps
from nimbostack.core import netdev
from tests.support.requires import require, require_tools

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def name() -> AsyncIterator[str]:
    require_tools("ip", why="host network devices")
    require(os.geteuid() == 0, "root", "creating tap devices")
    tap = f"tap{uuid.uuid4().hex[:11]}"
    yield tap
    await netdev.delete(tap)


async def test_plug_makes_a_multi_queue_tap_with_the_mtu_once(name: str) -> None:
    vifs = [Vif("p", "fa:16:3e:00:00:01", tap=name, mtu=1450), Vif("q", "fa:16:3e:00:00:02")]
    assert await taps.plug(vifs) == [name]
    found = await netdev.link(name)
    assert found is not None and found.mtu == 1450
    assert found.kind == "tun" and found.info["type"] == "tap"
    assert found.info["multi_queue"] is True
    # Plugging again (a restart, an adopted guest) keeps the same device.
    assert await taps.plug(vifs) == [name]
    assert (await netdev.link(name)).index == found.index  # type: ignore[union-attr]
    await taps.unplug([name])
    assert await netdev.link(name) is None
    await taps.unplug([name])  # already gone: fine
