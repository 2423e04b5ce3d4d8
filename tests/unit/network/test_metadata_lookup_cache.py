"""The metadata agent's lookup cache: reused within its time to live, asked again after."""

from __future__ import annotations

from typing import Any

import pytest

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import Message
from nimbostack.network.agents.metadata import lookup as module
from nimbostack.network.agents.metadata.lookup import InstanceLookup
from nimbostack.network.metadata_messages import GetInstanceForAddress, InstancePort


class Plugin:
    """network-server's side: counts the calls it answers."""

    def __init__(self) -> None:
        self.calls: list[GetInstanceForAddress] = []

    async def call(self, ctxt: RequestContext, msg: Message, **_: Any) -> Any:
        assert isinstance(msg, GetInstanceForAddress)
        self.calls.append(msg)
        return {"device_id": f"vm-{msg.ip_address}", "tenant_id": "p"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(module.time, "monotonic", found)
    return found


def _lookup(plugin: Plugin, ttl: float, size: int = 10) -> InstanceLookup:
    return InstanceLookup(plugin, ttl, size)  # type: ignore[arg-type]


async def test_answers_are_reused_within_the_ttl_only(clock: Clock) -> None:
    plugin = Plugin()
    lookup = _lookup(plugin, ttl=5)
    first = await lookup.find("10.0.0.7", network_id="n", router_id=None)
    assert first == InstancePort("vm-10.0.0.7", "p")
    clock.now += 4
    assert await lookup.find("10.0.0.7", network_id="n", router_id=None) == first
    assert len(plugin.calls) == 1
    await lookup.find("10.0.0.7", network_id=None, router_id="r")
    assert len(plugin.calls) == 2  # another namespace is another question
    clock.now += 2
    await lookup.find("10.0.0.7", network_id="n", router_id=None)
    assert len(plugin.calls) == 3


async def test_no_ttl_asks_every_time_and_the_cache_is_bounded(clock: Clock) -> None:
    plugin = Plugin()
    uncached = _lookup(plugin, ttl=0)
    for _ in range(2):
        await uncached.find("10.0.0.7", network_id="n", router_id=None)
    assert len(plugin.calls) == 2
    bounded = _lookup(plugin, ttl=60, size=3)
    for n in range(5):
        await bounded.find(f"10.0.0.{n}", network_id="n", router_id=None)
    asked = len(plugin.calls)
    await bounded.find("10.0.0.4", network_id="n", router_id=None)
    assert len(plugin.calls) == asked  # among the newest three: kept
    await bounded.find("10.0.0.0", network_id="n", router_id=None)
    assert len(plugin.calls) == asked + 1  # the oldest: dropped
