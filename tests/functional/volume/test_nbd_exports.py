"""Volumes exported over NBD to another host: a real qemu-storage-daemon per attachment.

An attachment whose connector names a host other than the manager's gets
``driver_volume_type: nbd``; QEMU's own NBD client (qemu-io) reads the volume's data
with the attachment's pre-shared key, and gets nothing without it or with another
key. Only a caller with a service token sees the key. Deleting the attachment stops
the daemon (the port refuses connections); a restarted manager adopts running
daemons, restarts dead ones on their port, and closes exports no attachment needs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from nimbostack.volume.backends.base import VolumeRef
from nimbostack.volume.backends.file import FileBackend
from nimbostack.volume.backends.nbd import DAEMON, export_name
from nimbostack.volume.manager import reconcile
from tests.functional.volume.conftest import BOTH_FORMATS, VolumeCloud, base_env, fault
from tests.functional.volume.disks import MiB, same_data, volume_path, write
from tests.support.cloud import end_export_daemons
from tests.support.requires import require_tools

ELSEWHERE = {"host": "compute-elsewhere", "ip": "127.0.0.1", "mountpoint": "/dev/vdb"}


def _backend(cloud: VolumeCloud) -> FileBackend:
    assert cloud.service is not None
    backend = cloud.service.managers[0].host.backend  # type: ignore[union-attr]
    assert isinstance(backend, FileBackend)
    return backend


async def _attach(cloud: VolumeCloud, volume_id: str) -> dict[str, Any]:
    require_tools(DAEMON, why="volumes reach other hosts through qemu-storage-daemon")
    body = {
        "attachment": {
            "volume_uuid": volume_id,
            "instance_uuid": str(uuid.uuid4()),
            "connector": ELSEWHERE,
        }
    }
    found = await cloud.ok("POST", "/v3/attachments", body, service_token="service")
    return dict(found["attachment"])


def _qemu_io(
    scratch: Path, info: dict[str, Any], command: str, key: str | None
) -> subprocess.CompletedProcess[str]:
    """``qemu-io`` on the export, with ``key`` as the PSK (None: no TLS at all)."""
    opts = (
        f"driver=nbd,server.type=inet,server.host={info['host']},"
        f"server.port={info['port']},export={info['export_name']}"
    )
    argv = ["qemu-io"]
    if key is not None:
        keys = scratch / f"psk-{uuid.uuid4().hex[:8]}"
        keys.mkdir(mode=0o700)
        (keys / "keys.psk").write_text(f"{info['tls_psk_identity']}:{key}\n")
        argv += [
            "--object",
            f"tls-creds-psk,id=tls0,endpoint=client,dir={keys},username={info['tls_psk_identity']}",
        ]
        opts += ",tls-creds=tls0"
    argv += ["--image-opts", opts, "-c", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


async def _read(scratch: Path, info: dict[str, Any], command: str, key: str | None) -> str:
    done = await asyncio.to_thread(_qemu_io, scratch, info, command, key)
    return done.stdout + done.stderr if done.returncode == 0 else f"FAILED {done.stderr}"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@BOTH_FORMATS
async def test_an_export_serves_the_key_holder_only_and_closes_with_its_attachment(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    vol = await cloud.available_volume()
    await write(volume_path(cloud.data_dir, vol["id"]), cloud.fmt, MiB, MiB, 0xAB)
    att = await _attach(cloud, vol["id"])
    info = att["connection_info"]
    assert info["driver_volume_type"] == "nbd"
    assert info["export_name"] == att["id"] == export_name(att["id"])
    assert info["host"] == "127.0.0.1" and info["access_mode"] == "rw"
    key = info["tls_psk_key"]
    assert len(key) == 64

    read = await _read(tmp_path, info, f"read -P 0xab {MiB} {MiB}", key)
    assert "read 1048576/1048576 bytes" in read, read
    written = await _read(tmp_path, info, "write -P 0x5c 0 4096", key)
    assert "wrote 4096/4096 bytes" in written, written
    assert "FAILED" not in await _read(tmp_path, info, "read -P 0x5c 0 4096", key)
    # No TLS: the server refuses the export; another key: the handshake fails.
    plain = await _read(tmp_path, info, "read 0 4096", None)
    assert plain.startswith("FAILED") and "TLS" in plain, plain
    wrong = await _read(tmp_path, info, "read 0 4096", os.urandom(32).hex())
    assert wrong.startswith("FAILED") and "TLS" in wrong, wrong

    # The key is shown with a service token only.
    path = f"/v3/attachments/{att['id']}"
    shown = (await cloud.ok("GET", path))["attachment"]["connection_info"]
    assert "tls_psk_key" not in shown and shown["export_name"] == att["id"]
    listed = (await cloud.ok("GET", "/v3/attachments/detail"))["attachments"]
    assert all("tls_psk_key" not in a["connection_info"] for a in listed)
    again = await cloud.ok("GET", path, service_token="service")
    assert again["attachment"]["connection_info"]["tls_psk_key"] == key

    (export,) = _backend(cloud).nbd.recorded()
    assert _port_open(info["port"])
    await cloud.ok("DELETE", path, service_token="service")
    assert not _port_open(info["port"])
    assert not _backend(cloud).nbd.alive(export)
    assert _backend(cloud).nbd.recorded() == []


async def test_concurrent_connects_of_one_attachment_share_one_export(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    vol = await cloud.available_volume()
    body = {"attachment": {"volume_uuid": vol["id"], "instance_uuid": str(uuid.uuid4())}}
    att = (await cloud.ok("POST", "/v3/attachments", body, service_token="service"))["attachment"]
    update = {"attachment": {"connector": ELSEWHERE}}
    require_tools(DAEMON, why="volumes reach other hosts through qemu-storage-daemon")
    answers = await asyncio.gather(
        *(
            cloud.ok("PUT", f"/v3/attachments/{att['id']}", update, service_token="service")
            for _ in range(4)
        )
    )
    infos = [a["attachment"]["connection_info"] for a in answers]
    assert len({(i["port"], i["tls_psk_key"]) for i in infos}) == 1, infos
    (export,) = _backend(cloud).nbd.recorded()
    assert export.port == infos[0]["port"]
    assert "FAILED" not in await _read(tmp_path, infos[0], "read 0 4096", infos[0]["tls_psk_key"])
    await cloud.ok("DELETE", f"/v3/attachments/{att['id']}", service_token="service")
    assert not _port_open(export.port)


async def test_a_restart_adopts_restarts_and_closes_exports(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    vol = await cloud.available_volume()
    att = await _attach(cloud, vol["id"])
    info = att["connection_info"]
    (before,) = _backend(cloud).nbd.recorded()

    await cloud.restart()  # the daemon runs on: adopted as it is
    (adopted,) = _backend(cloud).nbd.recorded()
    assert adopted.pid == before.pid and _backend(cloud).nbd.alive(adopted)
    assert "FAILED" not in await _read(tmp_path, info, "read 0 4096", info["tls_psk_key"])

    os.kill(before.pid, signal.SIGKILL)  # the host rebooted: started again where it was
    await cloud.wait_for(
        lambda: asyncio.to_thread(_port_open, before.port), lambda up: not up, timeout=10
    )
    await cloud.restart()
    (restarted,) = _backend(cloud).nbd.recorded()
    assert restarted.pid != before.pid and restarted.port == before.port
    assert "FAILED" not in await _read(tmp_path, info, "read 0 4096", info["tls_psk_key"])

    # An export no attachment needs (its attachment went while the manager was down).
    stray = await _backend(cloud).nbd.open(
        str(uuid.uuid4()), vol["id"], volume_path(cloud.data_dir, vol["id"]), "raw",
        read_only=True,
    )  # fmt: skip
    assert _port_open(stray.port)
    manager = cloud.service.managers[0]  # type: ignore[union-attr]
    await reconcile.reconcile(manager.host, cloud.state.extra["backup_store"])
    assert not _port_open(stray.port)
    assert [e.attachment_id for e in _backend(cloud).nbd.recorded()] == [att["id"]]
    await cloud.ok("DELETE", f"/v3/attachments/{att['id']}", service_token="service")
    assert _backend(cloud).nbd.recorded() == []


async def test_an_attached_volume_exported_over_nbd_is_not_extended(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    att = await _attach(cloud, vol["id"])
    await cloud.ok("POST", f"/v3/attachments/{att['id']}/action", {"os-complete": None},
                   service_token="service")  # fmt: skip
    await cloud.wait_volume(vol["id"], "in-use")
    await cloud.ok("POST", f"/v3/volumes/{vol['id']}/action", {"os-extend": {"new_size": 2}})
    found = await cloud.wait_volume(vol["id"], "in-use")
    assert found["size"] == 1
    await cloud.ok("DELETE", f"/v3/attachments/{att['id']}", service_token="service")


async def test_a_legacy_connection_to_another_host_is_exported_and_terminated(
    cloud: VolumeCloud,
) -> None:
    require_tools(DAEMON, why="volumes reach other hosts through qemu-storage-daemon")
    vol = await cloud.available_volume()
    action = f"/v3/volumes/{vol['id']}/action"
    connect = {"os-initialize_connection": {"connector": ELSEWHERE}}
    shown = (await cloud.ok("POST", action, connect))["connection_info"]
    assert shown["driver_volume_type"] == "nbd" and "tls_psk_key" not in shown["data"]
    served = (await cloud.ok("POST", action, connect, service_token="service"))["connection_info"]
    assert served["data"]["port"] == shown["data"]["port"]  # the same export
    assert len(served["data"]["tls_psk_key"]) == 64
    assert _port_open(shown["data"]["port"])
    await cloud.ok("POST", action, {"os-terminate_connection": {"connector": ELSEWHERE}})
    assert not _port_open(shown["data"]["port"])
    assert _backend(cloud).nbd.recorded() == []


@BOTH_FORMATS
async def test_a_volume_is_copied_into_an_nbd_export_for_a_migration(cloud: VolumeCloud) -> None:
    require_tools(DAEMON, why="volumes reach other hosts through qemu-storage-daemon")
    source, target = await cloud.available_volume(), await cloud.available_volume()
    source_path = volume_path(cloud.data_dir, source["id"])
    await write(source_path, cloud.fmt, 3 * MiB, MiB, 0x3C)
    backend = _backend(cloud)
    export_id = f"migration-{target['id']}"
    target_ref = VolumeRef(target["id"], 1, f"{cloud.fmt}:volume-{target['id']}")
    info = await backend.export(target_ref, export_id, ELSEWHERE)
    assert info.driver_volume_type == "nbd"
    await backend.copy_to(VolumeRef(source["id"], 1, f"{cloud.fmt}:volume-{source['id']}"), info)
    await backend.unexport(target_ref, export_id)
    target_path = volume_path(cloud.data_dir, target["id"])
    assert await same_data(source_path, cloud.fmt, target_path, cloud.fmt)
    assert not list((cloud.data_dir / "volumes" / "file" / "_tmp").iterdir())  # no key left


async def test_an_export_that_cannot_listen_is_a_400_and_leaves_nothing(tmp_path: Path) -> None:
    env = base_env(tmp_path, NIMBOSTACK_VOLUME__EXPORT_ADDRESS="192.0.2.1")  # not ours
    cloud = VolumeCloud(tmp_path, env)
    await cloud.start()
    try:
        vol = await cloud.available_volume()
        body = {"attachment": {"volume_uuid": vol["id"], "connector": ELSEWHERE}}
        resp = await cloud.call("POST", "/v3/attachments", body, service_token="service")
        key, code, message = fault(resp)
        assert (key, code) == ("badRequest", 400) and "192.0.2.1" in message, message
        assert _backend(cloud).nbd.recorded() == []
        assert list((tmp_path / "volumes" / "file" / "_exports").iterdir()) == []
    finally:
        await cloud.stop()


@pytest.fixture(autouse=True)
def _no_daemon_left(tmp_path: Path) -> Any:
    """Whatever a test leaves, its daemons end with it (they are found by their dir)."""
    yield
    end_export_daemons(tmp_path)
