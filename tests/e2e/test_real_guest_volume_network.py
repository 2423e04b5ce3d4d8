"""Volumes of a real guest (QEMU, TCG) reached over the network, and grown while in use.

With the compute agent's host named apart from the volume manager's, block storage
exports the attachment over NBD (a qemu-storage-daemon with the attachment's TLS key)
and QEMU hot-plugs it as an NBD disk: the guest writes and reads it, the data lands
in the volume's file, and the detach ends the export. On one host, a qcow2 volume in
use grows with `volume set --size 2` (volume-extended -> block_resize ->
os-extend_volume_completion), and the guest sees 2 GiB without a reboot. A guest on the
other host also boots from a volume exported over NBD.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import pytest

from tests.e2e.guest_support import IMAGE, qemu_cloud, qemu_pids, wait_boots, wait_status
from tests.e2e.test_admin_password import SerialConsole, _create, serial
from tests.e2e.test_real_guest_volumes import FIND_DISK, WRITE, _root_shell, _volume_status
from tests.support.cloud import RunningCloud
from tests.support.requires import require_tools

pytestmark = [pytest.mark.e2e, pytest.mark.cli]
DATA = "NIMBO-NBD-DATA-7"
READ = (
    "sync; echo 3 > /proc/sys/vm/drop_caches; "
    'echo "READ-$(dd if=/dev/$D bs={n} count=1 2>/dev/null)-$((40+2))"\r'
)
SIZE = 'echo "SIZE-$(cat /sys/block/$D/size)-$((40+2))"\r'
GROWN = (
    'i=0; while [ $i -lt 90 ] && [ "$(cat /sys/block/$D/size)" = 2097152 ]; do sleep 1; '
    'i=$((i+1)); done; echo "SIZE-$(cat /sys/block/$D/size)-$((40+2))"\r'
)


def _guest_with_disk(cloud: RunningCloud, name: str) -> tuple[str, str, dict[str, Any]]:
    created = _create(cloud, name)
    wait_status(cloud, name, "ACTIVE")
    wait_boots(cloud, name, 1)
    volume = cloud.cli("volume", "create", "--size", "1", f"{name}-data")
    _volume_status(cloud, f"{name}-data", "available")
    cloud.cli_raw("server", "add", "volume", name, f"{name}-data")
    _volume_status(cloud, f"{name}-data", "in-use")
    return str(created["id"]), str(created["adminPass"]), volume


def _find_disk(console: SerialConsole, password: str, volume_id: str) -> int:
    at = _root_shell(console, password)
    console.type(FIND_DISK.format(serial=volume_id[:20]))
    found = console.wait_for(r"FOUND-42-vd[a-z]+\.", at, timeout=120)
    assert "FOUND-42-vdb." in console.text[at:found]
    return found


def test_a_volume_on_another_host_is_attached_over_nbd_written_and_read() -> None:
    require_tools("qemu-storage-daemon", why="volumes reach other hosts through it")
    agent_host = f"nbd-compute-{uuid.uuid4().hex[:6]}"
    with qemu_cloud({"NIMBOSTACK_COMPUTE_AGENT__HOST": agent_host}) as cloud:
        uuid_, password, volume = _guest_with_disk(cloud, "nbd-vm")
        daemons = qemu_pids(f"qemu-storage-daemon .*{cloud.data_dir}/")
        assert len(daemons) == 1, daemons  # the export of this attachment

        with serial(cloud, uuid_) as console:
            at = _find_disk(console, password, volume["id"])
            console.type(WRITE.format(data=DATA))
            at = console.wait_for(r"WROTE-42", at, timeout=60)
            console.type(READ.format(n=len(DATA)))
            done = console.wait_for(r"READ-.*-42", at, timeout=60)
            assert f"READ-{DATA}-42" in console.text[at:done]

        cloud.cli_raw("server", "remove", "volume", "nbd-vm", "nbd-vm-data")
        _volume_status(cloud, "nbd-vm-data", "available")
        assert qemu_pids(f"qemu-storage-daemon .*{cloud.data_dir}/") == []
        path = cloud.data_dir / "volumes" / "file" / f"volume-{volume['id']}"
        with path.open("rb") as stored:
            assert stored.read(len(DATA)) == DATA.encode()
        assert cloud.cli("server", "show", "nbd-vm")["status"] == "ACTIVE"


def test_a_volume_in_use_grows_and_the_guest_sees_it() -> None:
    env = {"NIMBOSTACK_BACKEND_FILE__VOLUME_FORMAT": "qcow2"}
    with qemu_cloud(env) as cloud:
        uuid_, password, volume = _guest_with_disk(cloud, "grow-vm")
        with serial(cloud, uuid_) as console:
            at = _find_disk(console, password, volume["id"])
            console.type(SIZE)
            at = console.wait_for(r"SIZE-\d+-42", at, timeout=60)
            assert "SIZE-2097152-42" in console.text[at - 20 : at]

            cloud.cli_raw(
                "--os-volume-api-version", "3.42", "volume", "set", "--size", "2", "grow-vm-data"
            )
            grown = _volume_status(cloud, "grow-vm-data", "in-use")
            assert grown["size"] == 2, grown
            console.type(GROWN)
            done = console.wait_for(r"SIZE-\d+-42", at, timeout=120)
            assert "SIZE-4194304-42" in console.text[at:done], console.text[at:done]

        path = cloud.data_dir / "volumes" / "file" / f"volume-{volume['id']}"
        info = subprocess.run(
            ["qemu-img", "info", "-U", "--output=json", str(path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert '"virtual-size": 2147483648' in info.stdout
        assert cloud.cli("server", "show", "grow-vm")["status"] == "ACTIVE"


def test_a_guest_on_another_host_boots_from_a_volume_over_nbd() -> None:
    require_tools("qemu-storage-daemon", why="volumes reach other hosts through it")
    agent_host = f"nbd-compute-{uuid.uuid4().hex[:6]}"
    with qemu_cloud({"NIMBOSTACK_COMPUTE_AGENT__HOST": agent_host}) as cloud:
        cloud.cli(
            "server", "create", "--flavor", "m1.nano", "--image", IMAGE,
            "--boot-from-volume", "1", "--delete-on-termination", "--nic", "none",
            "nbd-root-vm",
        )  # fmt: skip
        wait_status(cloud, "nbd-root-vm", "ACTIVE", timeout=600)
        assert len(qemu_pids(f"qemu-storage-daemon .*{cloud.data_dir}/")) == 1
        wait_boots(cloud, "nbd-root-vm", 1)
        cloud.cli_raw("server", "delete", "--wait", "nbd-root-vm")
        assert qemu_pids(f"qemu-storage-daemon .*{cloud.data_dir}/") == []
