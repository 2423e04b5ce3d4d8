"""Unit tests of the QEMU command line, the QMP client (against a fake QMP server) and accel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from nimbostack.compute.agent.drivers.base import GuestSpec, ImageFiles, Vif
from nimbostack.compute.agent.drivers.qemu import accel, chain, command
from nimbostack.compute.agent.drivers.qemu.layout import Layout
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings
from nimbostack.compute.agent.drivers.qemu.qmp import QmpClient, QmpError, qmp_execute

SPEC = GuestSpec("u-1", "vm", "vm", 2, 512, 1, image=ImageFiles("i", "qcow2", Path("/d")))


def _argv(tmp_path: Path, spec: GuestSpec = SPEC, **boot: object) -> list[str]:
    paths = Layout(tmp_path).guest(spec.uuid)
    paths.make_dirs()
    (paths.disk_dir / "kernel").write_bytes(b"k")
    return command.build(spec, paths, QemuSettings(), command.Boot(accel="tcg", **boot))  # type: ignore[arg-type]


def test_command_line_basics(tmp_path: Path) -> None:
    argv = _argv(tmp_path)
    joined = " ".join(argv)
    assert "-machine pc,accel=tcg" in joined and "-m 512" in joined and "-smp 2" in joined
    assert "-nic none" in joined  # no vifs, no NIC
    assert "console=ttyS0" in argv[argv.index("-append") + 1]
    chardev = argv[argv.index("-chardev") + 1]
    assert chardev.startswith("socket,") and "logappend=on" in chardev and "logfile=" in chardev
    assert "-incoming" not in argv and "-cpu" not in argv


def test_nics_and_incoming(tmp_path: Path) -> None:
    vifs = (Vif("p1", "fa:16:3e:00:00:01", tap="tap1"), Vif("p2", "fa:16:3e:00:00:02"))
    spec = GuestSpec("u-2", "vm", "vm", 1, 256, 1, vifs=vifs)
    argv = _argv(tmp_path, spec, incoming="tcp:127.0.0.1:49152")
    joined = " ".join(argv)
    # The tap is multi-queue: QEMU opens it only asking for two queues at least.
    assert "tap,id=net-p1,ifname=tap1,script=no,downscript=no,queues=2" in joined
    # Ids come from the port, so an unplug finds a NIC however it was plugged.
    assert "netdev=net-p1,mac=fa:16:3e:00:00:01,id=nic-p1,mq=on,vectors=6" in joined
    assert "user,id=net-p2,restrict=on" in joined
    assert "mac=fa:16:3e:00:00:02" in joined
    assert argv[-2:] == ["-incoming", "tcp:127.0.0.1:49152"]


def test_rescue_boots_the_rescue_disk_first(tmp_path: Path) -> None:
    argv = _argv(tmp_path, rescue=True)
    drives = [arg for arg in argv if arg.startswith("file=")]
    assert "id=rescue" in drives[0] and "id=root" in drives[1]


def test_bases_are_opened_alone_and_named_as_backing(tmp_path: Path) -> None:
    bases = {
        "rescue": chain.Base(Path("/cache/rescue-image"), "raw"),
        "root": chain.Base(Path("/cache/image"), "qcow2"),
    }
    argv = _argv(tmp_path, rescue=True, bases=bases)
    blockdevs = [json.loads(argv[i + 1]) for i, arg in enumerate(argv) if arg == "-blockdev"]
    assert blockdevs == [
        {
            "driver": "raw",  # raw has no backing to refuse
            "read-only": True,
            "file": {"driver": "file", "filename": "/cache/rescue-image", "read-only": True},
            "node-name": "rescue-base",
        },
        {
            "driver": "qcow2",
            "read-only": True,
            "file": {"driver": "file", "filename": "/cache/image", "read-only": True},
            "node-name": "root-base",
            "backing": None,  # never what the base's own header names
        },
    ]
    drives = [arg for arg in argv if arg.startswith("file=")]
    assert drives[0].endswith(",backing=rescue-base") and "id=rescue" in drives[0]
    assert drives[1].endswith(",backing=root-base") and "id=root" in drives[1]
    # Each base node is defined before the drive that names it.
    assert argv.index("-blockdev") < argv.index(drives[0])


def test_overlay_chain_for_qemu_img_stops_at_the_base() -> None:
    name = chain.qemu_img_filename(Path("/d/disk"), chain.Base(Path("/cache/i"), "qcow2"))
    assert name.startswith("json:")
    options = json.loads(name[len("json:") :])
    assert options["file"] == {"driver": "file", "filename": "/d/disk"}
    assert options["backing"]["file"]["filename"] == "/cache/i"
    assert options["backing"]["backing"] is None
    alone = json.loads(chain.qemu_img_filename(Path("/d/disk"), None)[len("json:") :])
    assert alone["backing"] is None


def test_long_instance_paths_get_short_qmp_sockets(tmp_path: Path) -> None:
    paths = Layout(tmp_path / ("x" * 120)).guest("u")
    assert len(str(paths.qmp_socket)) < 108


async def _fake_qmp(path: Path, replies: dict[str, object]) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(json.dumps({"QMP": {"version": {}, "capabilities": []}}).encode() + b"\n")
        while line := await reader.readline():
            name = json.loads(line)["execute"]
            # An event before the reply: the client must skip it.
            writer.write(b'{"event": "RESUME", "timestamp": {}}\n')
            reply = replies.get(name, {"error": {"class": "X", "desc": f"no {name}"}})
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        writer.close()

    return await asyncio.start_unix_server(serve, str(path))


async def test_qmp_client_returns_results_and_raises_errors(tmp_path: Path) -> None:
    sock = tmp_path / "q.sock"
    replies = {"qmp_capabilities": {"return": {}}, "query-status": {"return": {"status": "paused"}}}
    server = await _fake_qmp(sock, replies)
    async with server:
        assert await qmp_execute(sock, "query-status") == {"status": "paused"}
        async with QmpClient(sock) as qmp:
            with pytest.raises(QmpError, match="no bogus"):
                await qmp.execute("bogus")


async def test_qmp_unreachable_socket(tmp_path: Path) -> None:
    with pytest.raises(QmpError, match="cannot reach QMP"):
        await qmp_execute(tmp_path / "missing.sock", "query-status")


async def test_accel_explicit_choices_need_no_probe(tmp_path: Path) -> None:
    assert await accel.choose(QemuSettings(virt_type="kvm"), tmp_path, None) == "kvm"
    assert await accel.choose(QemuSettings(virt_type="qemu"), tmp_path, None) == "tcg"
    # auto without a kernel image to probe with: TCG for now, nothing cached.
    assert await accel.choose(QemuSettings(virt_type="auto"), tmp_path, None) == "tcg"
    assert not (tmp_path / accel.CACHE_FILE).exists()


async def test_accel_verdict_cache_is_keyed_by_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accel, "kvm_usable", lambda: True)
    settings = QemuSettings(virt_type="auto")
    accel._store_verdict(settings, tmp_path, "kvm", 1.0)
    assert await accel.choose(settings, tmp_path, None) == "kvm"
    record = json.loads((tmp_path / accel.CACHE_FILE).read_text())
    record["key"] = "another-kernel"
    (tmp_path / accel.CACHE_FILE).write_text(json.dumps(record))
    assert accel.cached_verdict(settings, tmp_path) is None
