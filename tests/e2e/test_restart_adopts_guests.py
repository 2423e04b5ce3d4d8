"""Stopping `nimbostack up` leaves guests running and frees every port; a restart adopts them.

A guest's QEMU must hold no descriptor of the control plane: an inherited listening
socket would keep an API port after the cloud stopped, so it could not start again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import guest_support as gs
from tests.support.cloud import RunningCloud

pytestmark = pytest.mark.e2e


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets among a process's open descriptors."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            found.add(target[len("socket:[") : -1])
    return found


def listening_inodes(ports: set[int]) -> set[str]:
    """Inodes of the TCP sockets listening on ``ports`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        port = int(fields[1].rsplit(":", 1)[1], 16)
        if fields[3] == "0A" and port in ports:  # 0A: LISTEN
            found.add(fields[9])
    return found


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="nimbo-rs-"))
    yield path
    gs.kill_guests(path)
    shutil.rmtree(path, ignore_errors=True)


def test_restart_adopts_the_guest_and_the_guest_holds_no_api_socket(data_dir: Path) -> None:
    gs.require_qemu()
    env = {"NIMBOSTACK_COMPUTE_AGENT__DRIVER": "qemu"}
    first = RunningCloud.start(data_dir, env)
    try:
        gs.wait_guest_image(first)
        server = gs.create(first, "keeper")
        boot = gs.wait_boots(first, "keeper", 1).boots[0]
        (pid,) = gs.qemu_pids(server["id"])
        api_ports = set(first.ports.values())
        assert not socket_inodes(pid) & listening_inodes(api_ports)
        ticks = len(gs.console(first, "keeper").ticks)
    finally:
        first.stop()
    assert gs.qemu_pids(server["id"]) == [pid], "stopping the cloud must leave the guest"
    # Nothing listens on the stopped cloud's ports any more: not the guest, not anyone.
    assert not listening_inodes(api_ports)

    second = RunningCloud.start(data_dir, {**env, **_same_ports(first)})
    try:
        assert second.ports == first.ports
        adopted = gs.wait_status(second, "keeper", "ACTIVE")
        assert adopted["id"] == server["id"]
        assert gs.qemu_pids(server["id"]) == [pid]
        again = gs.wait_ticks(second, "keeper", ticks + 1)
        assert again.last_tick()["boot_id"] == boot["boot_id"]
        assert len(again.boots) == 1, "the guest must not have rebooted"
        gs.delete_all_servers(second)
    finally:
        second.stop()


def _same_ports(cloud: RunningCloud) -> dict[str, str]:
    """The first cloud's ports, asked for again: binding them proves they were freed."""
    return {k: v for k, v in cloud.env.items() if k.endswith("_PORT") and k.startswith("NIMBO")}
