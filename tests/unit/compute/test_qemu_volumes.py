"""QEMU volumes: their command-line devices, hot-plug and unplug over (a fake) QMP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec, VolumeAttachment
from nimbostack.compute.agent.drivers.qemu import command, volumes
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths, Layout
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings

VOLUME_ID = "0b3c2f64-5d1e-4c39-9f6a-2a8e4bd1c0aa"
QCOW2 = VolumeAttachment(
    VOLUME_ID, "/dev/vdb", "file", {"path": "/vols/volume-1", "format": "qcow2"}
)


def test_attached_volumes_are_on_the_command_line_without_backing_files(
    tmp_path: Path,
) -> None:
    spec = GuestSpec("u-1", "vm", "vm", 1, 256, 1, volumes=(QCOW2,))
    paths = Layout(tmp_path).guest(spec.uuid)
    paths.make_dirs()
    argv = command.build(spec, paths, QemuSettings(), command.Boot(accel="tcg"))
    node = json.loads(argv[argv.index("-blockdev") + 1])
    assert node["driver"] == "qcow2" and node["backing"] is None
    assert node["file"] == {"driver": "file", "filename": "/vols/volume-1", "read-only": False}
    device = argv[argv.index("-blockdev") + 3]
    name = volumes.node_name(VOLUME_ID)
    assert device == (
        f"virtio-blk-pci,drive={name},id={volumes.device_id(VOLUME_ID)},serial={VOLUME_ID[:20]}"
    )
    assert len(name) <= 31


def test_a_root_volume_replaces_the_root_disk_and_boots_first(tmp_path: Path) -> None:
    root_id = "5e0f4a1c-9d1b-4c7e-8f3a-1b2c3d4e5f60"
    root = VolumeAttachment(
        root_id, "/dev/vda", "file", {"path": "/vols/root", "format": "raw"}, boot_index=0
    )
    spec = GuestSpec("u-1", "vm", "vm", 1, 256, 0, volumes=(QCOW2, root))
    paths = Layout(tmp_path).guest(spec.uuid)
    paths.make_dirs()
    argv = command.build(spec, paths, QemuSettings(), command.Boot(accel="tcg"))
    assert str(paths.root_disk) not in " ".join(argv)
    devices = [a for a in argv if a.startswith("virtio-blk-pci,")]
    assert devices[0].startswith(f"virtio-blk-pci,drive={volumes.node_name(root_id)},")
    assert devices[0].endswith(",bootindex=1")
    assert "bootindex" not in devices[1]


@pytest.mark.parametrize(
    "connection",
    [
        {"path": "/vols/v", "format": "vmdk"},
        {"path": "relative/v", "format": "raw"},
        {"format": "raw"},
    ],
)
def test_connections_qemu_must_not_open_are_refused(connection: dict[str, Any]) -> None:
    with pytest.raises(DriverError):
        volumes.blockdev(VolumeAttachment(VOLUME_ID, "/dev/vdb", "file", connection))
    with pytest.raises(DriverError, match="transport"):
        volumes.blockdev(VolumeAttachment(VOLUME_ID, "/dev/vdb", "iscsi", {}))


class FakeGuest:
    """A QMP server keeping block nodes and devices; a device_del is answered with a
    DEVICE_DELETED event only if the guest ``releases`` its disks."""

    def __init__(self, releases: bool = True, failing: str = "") -> None:
        self.nodes: set[str] = set()
        self.devices: set[str] = set()
        self.commands: list[str] = []
        self.releases = releases
        self.failing = failing

    def reply(self, name: str, args: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        self.commands.append(name)
        events: list[bytes] = []
        if name == self.failing:
            return {"error": {"class": "GenericError", "desc": f"{name} failed"}}, events
        if name == "blockdev-add":
            self.nodes.add(args["node-name"])
        elif name == "blockdev-del":
            self.nodes.discard(args["node-name"])
        elif name == "device_add":
            self.devices.add(args["id"])
        elif name == "device_del" and self.releases:
            self.devices.discard(args["id"])
            event = {"event": "DEVICE_DELETED", "data": {"device": args["id"]}}
            events.append(json.dumps(event).encode() + b"\n")
        elif name == "qom-list":
            return {"return": [{"name": d, "type": "child"} for d in self.devices]}, events
        elif name == "query-named-block-nodes":
            return {"return": [{"node-name": n} for n in self.nodes]}, events
        return {"return": {}}, events

    async def serve(self, path: Path) -> asyncio.Server:
        async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(json.dumps({"QMP": {"version": {}, "capabilities": []}}).encode() + b"\n")
            while line := await reader.readline():
                request = json.loads(line)
                reply, events = self.reply(request["execute"], request.get("arguments") or {})
                writer.write(json.dumps(reply).encode() + b"\n")
                for event in events:  # after the reply, as QEMU sends it
                    writer.write(event)
                await writer.drain()
            writer.close()

        return await asyncio.start_unix_server(session, str(path))


def _paths(tmp_path: Path) -> GuestPaths:
    paths = Layout(tmp_path).guest("u-1")
    paths.make_dirs()
    return paths


async def test_hot_plug_then_unplug_waits_for_the_guest(tmp_path: Path) -> None:
    paths, guest = _paths(tmp_path), FakeGuest()
    async with await guest.serve(paths.qmp_socket):
        await volumes.hot_plug(paths, QCOW2)
        assert guest.nodes == {volumes.node_name(VOLUME_ID)}
        assert guest.devices == {volumes.device_id(VOLUME_ID)}
        await volumes.unplug(paths, VOLUME_ID, timeout=5)
    assert guest.nodes == set() and guest.devices == set()
    assert guest.commands.index("device_del") < guest.commands.index("blockdev-del")


async def test_a_failed_device_add_leaves_no_node(tmp_path: Path) -> None:
    paths, guest = _paths(tmp_path), FakeGuest(failing="device_add")
    async with await guest.serve(paths.qmp_socket):
        with pytest.raises(DriverError, match="device_add failed"):
            await volumes.hot_plug(paths, QCOW2)
    assert guest.nodes == set() and guest.devices == set()


async def test_a_guest_that_keeps_the_disk_keeps_its_node(tmp_path: Path) -> None:
    paths, guest = _paths(tmp_path), FakeGuest(releases=False)
    async with await guest.serve(paths.qmp_socket):
        await volumes.hot_plug(paths, QCOW2)
        with pytest.raises(DriverError, match="DEVICE_DELETED"):
            await volumes.unplug(paths, VOLUME_ID, timeout=0.3)
    assert "blockdev-del" not in guest.commands
    assert guest.nodes == {volumes.node_name(VOLUME_ID)}
