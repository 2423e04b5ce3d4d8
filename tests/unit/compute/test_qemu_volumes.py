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
KEY = "ab" * 32
NBD_INFO = {
    "host": "192.0.2.10",
    "port": 10809,
    "export_name": "7f0c5a52-8d0e-4d53-a1a4-0d1f2e3c4b5a",
    "tls_psk_identity": "7f0c5a52-8d0e-4d53-a1a4-0d1f2e3c4b5a",
    "tls_psk_key": KEY,
    "access_mode": "rw",
}
NBD = VolumeAttachment(VOLUME_ID, "/dev/vdb", "nbd", NBD_INFO)


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


def test_an_nbd_volume_is_reached_over_tls_with_its_key(tmp_path: Path) -> None:
    spec = GuestSpec("u-1", "vm", "vm", 1, 256, 1, volumes=(NBD,))
    paths = Layout(tmp_path).guest(spec.uuid)
    paths.make_dirs()
    argv = command.build(spec, paths, QemuSettings(), command.Boot(accel="tcg"))
    node = json.loads(argv[argv.index("-blockdev") + 1])
    assert node["driver"] == "nbd" and node["export"] == NBD_INFO["export_name"]
    assert node["server"] == {"type": "inet", "host": "192.0.2.10", "port": "10809"}
    assert node["tls-creds"] == volumes.tls_id(VOLUME_ID)
    creds = argv[argv.index("-object") + 1]
    assert creds.startswith(f"tls-creds-psk,id={volumes.tls_id(VOLUME_ID)},endpoint=client,")
    assert KEY not in " ".join(argv)  # the key is in a file only this user reads
    key_dir = Path(creds.split("dir=")[1].split(",")[0])
    key_file = key_dir / "keys.psk"
    assert key_file.read_text() == f"{NBD_INFO['tls_psk_identity']}:{KEY}\n"
    assert key_file.stat().st_mode & 0o777 == 0o600 and key_dir.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    "change",
    [
        {"tls_psk_key": None},
        {"tls_psk_key": "short"},
        {"host": "nbd.example.com"},
        {"port": "10809"},
        {"port": 70000},
        {"export_name": "a,b"},
        {"tls_psk_identity": "x:y"},
    ],
)
def test_nbd_connections_qemu_must_not_open_are_refused(change: dict[str, Any]) -> None:
    info = {**NBD_INFO, **change}
    with pytest.raises(DriverError, match="refused NBD connection") as caught:
        volumes.blockdev(VolumeAttachment(VOLUME_ID, "/dev/vdb", "nbd", info))
    assert KEY not in str(caught.value)


class FakeGuest:
    """A QMP server keeping block nodes and devices; a device_del is answered with a
    DEVICE_DELETED event only if the guest ``releases`` its disks."""

    def __init__(self, releases: bool = True, failing: str = "") -> None:
        self.nodes: set[str] = set()
        self.devices: set[str] = set()
        self.objects: set[str] = set()
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
        elif name == "object-add":
            self.objects.add(args["id"])
        elif name == "object-del":
            self.objects.discard(args["id"])
        elif name == "qom-list":
            found = self.objects if args["path"] == "/objects" else self.devices
            return {"return": [{"name": d, "type": "child"} for d in found]}, events
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


async def test_an_nbd_volume_comes_and_goes_with_its_tls_object_and_key(tmp_path: Path) -> None:
    paths, guest = _paths(tmp_path), FakeGuest()
    async with await guest.serve(paths.qmp_socket):
        await volumes.hot_plug(paths, NBD)
        assert guest.objects == {volumes.tls_id(VOLUME_ID)}
        assert guest.commands.index("object-add") < guest.commands.index("blockdev-add")
        assert list(paths.run_dir.rglob("keys.psk"))
        await volumes.unplug(paths, VOLUME_ID, timeout=5)
    assert guest.nodes == set() and guest.devices == set() and guest.objects == set()
    assert guest.commands.index("blockdev-del") < guest.commands.index("object-del")
    assert not list(paths.run_dir.rglob("keys.psk"))


async def test_a_failed_nbd_attach_leaves_no_tls_object(tmp_path: Path) -> None:
    paths, guest = _paths(tmp_path), FakeGuest(failing="blockdev-add")
    async with await guest.serve(paths.qmp_socket):
        with pytest.raises(DriverError, match="blockdev-add failed"):
            await volumes.hot_plug(paths, NBD)
    assert guest.objects == set() and not list(paths.run_dir.rglob("keys.psk"))
