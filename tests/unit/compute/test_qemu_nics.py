"""Unit tests of the QEMU driver's NIC hot-plug and unplug, against a fake QMP server.

The host's taps are not touched here (``taps.plug``/``unplug`` are recorded instead);
the real-guest test ``tests/e2e/test_real_guest_interfaces.py`` does the real thing.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from nimbostack.compute.agent.drivers.base import DriverError, Vif
from nimbostack.compute.agent.drivers.qemu import nics, taps
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths, Layout

VIF = Vif("5a1d4e0c-1111-2222-3333-444455556666", "fa:16:3e:00:00:09", tap="tap5a1d4e0c-11")


class FakeQemu:
    """Answers QMP like a guest with four vCPUs; ``refuse`` names commands that fail."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.refuse = refuse
        self.seen: list[tuple[str, dict[str, Any]]] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(json.dumps({"QMP": {"version": {}, "capabilities": []}}).encode() + b"\n")
        while line := await reader.readline():
            asked = json.loads(line)
            name, args = asked["execute"], asked.get("arguments") or {}
            self.seen.append((name, args))
            if name in self.refuse:
                reply: dict[str, Any] = {"error": {"class": "X", "desc": f"{name} refused"}}
            elif name == "query-cpus-fast":
                reply = {"return": [{"cpu-index": n} for n in range(4)]}
            else:
                reply = {"return": {}}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        writer.close()

    def names(self) -> list[str]:
        return [name for name, _ in self.seen if name != "qmp_capabilities"]


@pytest.fixture
def host_taps(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    done: dict[str, list[str]] = {"plugged": [], "unplugged": []}

    async def plug(vifs: Any) -> list[str]:
        made = [v.tap for v in vifs if v.tap]
        done["plugged"] += made
        return made

    async def unplug(names: Any) -> None:
        done["unplugged"] += list(names)

    monkeypatch.setattr(taps, "plug", plug)
    monkeypatch.setattr(taps, "unplug", unplug)
    return done


def _paths(tmp_path: Path) -> GuestPaths:
    paths = Layout(tmp_path).guest("u-1")
    paths.make_dirs()
    paths.write_state(**{taps.STATE_KEY: ["tapboot"]})
    return paths


async def test_hot_plug_adds_a_multi_queue_backend_then_the_nic(
    tmp_path: Path, host_taps: dict[str, list[str]]
) -> None:
    paths = _paths(tmp_path)
    qemu = FakeQemu()
    async with await asyncio.start_unix_server(qemu.serve, str(paths.qmp_socket)):
        await nics.hot_plug(paths, VIF)
    assert qemu.names() == ["query-cpus-fast", "netdev_add", "device_add"]
    backend, device = qemu.seen[-2][1], qemu.seen[-1][1]
    assert backend == {
        "type": "tap",
        "id": nics.netdev_id(VIF.port_id),
        "ifname": VIF.tap,
        "script": "no",
        "downscript": "no",
        "queues": 4,
    }
    assert device["netdev"] == backend["id"] and device["mac"] == VIF.mac
    assert (device["mq"], device["vectors"]) == (True, 10)
    assert paths.read_state()[taps.STATE_KEY] == ["tapboot", VIF.tap]


async def test_a_refused_nic_takes_its_backend_and_tap_away(
    tmp_path: Path, host_taps: dict[str, list[str]]
) -> None:
    paths = _paths(tmp_path)
    qemu = FakeQemu(refuse=("device_add",))
    async with await asyncio.start_unix_server(qemu.serve, str(paths.qmp_socket)):
        with pytest.raises(DriverError, match="device_add refused"):
            await nics.hot_plug(paths, VIF)
    assert qemu.names()[-1] == "netdev_del"
    assert host_taps["unplugged"] == [VIF.tap]
    assert paths.read_state()[taps.STATE_KEY] == ["tapboot"]


async def test_a_stopped_guest_s_nic_leaves_its_tap_without_qmp(
    tmp_path: Path, host_taps: dict[str, list[str]]
) -> None:
    paths = _paths(tmp_path)
    paths.write_state(**{taps.STATE_KEY: ["tapboot", VIF.tap]})
    await nics.unplug(paths, VIF.port_id, VIF.tap, 1.0, running=False)
    assert host_taps["unplugged"] == [VIF.tap]
    assert paths.read_state()[taps.STATE_KEY] == ["tapboot"]
