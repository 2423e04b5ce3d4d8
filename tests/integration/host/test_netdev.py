"""core.netdev against the host's real devices and namespaces (needs root and iproute2)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from nimbostack.core import netdev
from tests.support.requires import require, require_tools

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def names() -> AsyncIterator[dict[str, str]]:
    require_tools("ip", why="host network devices")
    require(os.geteuid() == 0, "root", "creating network devices")
    tag = uuid.uuid4().hex[:6]
    made = {k: f"nt{k}{tag}" for k in ("br", "tap", "ve", "vp", "ns")}
    yield made
    for key in ("br", "tap", "ve"):
        await netdev.delete(made[key])
    await netdev.delete_namespace(made["ns"])


async def test_bridge_tap_and_veth_into_a_namespace(names: dict[str, str]) -> None:
    await netdev.add_bridge(names["br"], mtu=1450)
    assert (await netdev.link(names["br"])).mtu == 1450  # type: ignore[union-attr]
    await netdev.add_tap(names["tap"])
    await netdev.set_master(names["tap"], names["br"])
    await netdev.add_namespace(names["ns"])
    await netdev.add_veth(names["ve"], names["vp"], peer_netns=names["ns"])
    await netdev.set_master(names["ve"], names["br"])
    await netdev.set_up(names["ve"])
    await netdev.add_address(names["vp"], "10.77.0.2/24", netns=names["ns"])
    await netdev.add_address(names["vp"], "10.77.0.2/24", netns=names["ns"])  # no-op twice

    host = await netdev.links()
    assert host[names["br"]].kind == "bridge"
    assert host[names["tap"]].master == names["br"]
    assert host[names["ve"]].master == names["br"] and host[names["ve"]].up
    assert names["vp"] not in host
    assert names["ns"] in await netdev.namespaces()
    assert await netdev.addresses(names["vp"], netns=names["ns"]) == ["10.77.0.2/24"]

    await netdev.set_master(names["tap"], None)
    assert (await netdev.link(names["tap"])).master is None  # type: ignore[union-attr]
    assert await netdev.delete(names["tap"]) is True
    assert await netdev.delete(names["tap"]) is False
    assert await netdev.link(names["tap"]) is None


async def test_a_failing_command_says_why(names: dict[str, str]) -> None:
    with pytest.raises(netdev.NetdevError, match=r"Cannot find device|does not exist"):
        await netdev.set_up(names["tap"])
