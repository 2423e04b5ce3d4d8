"""A real guest (QEMU, TCG) gets a volume hot-plugged and unplugged through the CLI.

`openstack server add volume` must give the running guest a new virtio disk (found by
its serial, the volume id), which root writes to on the serial console; `server
remove volume` must take the disk back (the guest sees it go) and leave the volume
``available`` with the data in its file on the host.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.guest_support import qemu_cloud, wait_boots, wait_status
from tests.e2e.test_admin_password import SerialConsole, _create, serial
from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli]
DATA = "NIMBO-VOLUME-DATA-42"
# Each command's answer ends in a marker computed by the shell, so the echo of the
# typed command line never matches it.
FIND_DISK = (
    'D=; i=0; while [ $i -lt 90 ] && [ -z "$D" ]; do for d in /sys/block/vd*; do '
    '[ "$(cat $d/serial 2>/dev/null)" = "{serial}" ] && D=${{d##*/}}; done; '
    '[ -z "$D" ] && sleep 1; i=$((i+1)); done; echo "FOUND-$((40+2))-$D."\r'
)
WRITE = (
    "printf '%s' '{data}' | dd of=/dev/$D bs=512 conv=sync,fsync 2>/dev/null; sync; "
    'echo "WROTE-$((40+2))"\r'
)
GONE = (
    "i=0; while [ $i -lt 90 ] && [ -e /sys/block/$D ]; do sleep 1; i=$((i+1)); done; "
    '[ -e /sys/block/$D ] && echo "STILL-$((40+2))" || echo "GONE-$((40+2))"\r'
)


def _volume_status(cloud: RunningCloud, name: str, wanted: str, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = cloud.cli("volume", "show", name)
        if found["status"] == wanted:
            return found
        assert found["status"] != "error" and time.monotonic() < deadline, found
        time.sleep(1.0)


def _root_shell(console: SerialConsole, password: str) -> int:
    start = len(console.text)
    console.type("\r")
    prompt = console.wait_for(r"login: ", start)
    console.type("root\r")
    asked = console.wait_for(r"Password: ", prompt)
    console.type(password + "\r")
    return console.wait_for(r"# ", asked)


def test_a_volume_is_hot_plugged_written_and_unplugged() -> None:
    with qemu_cloud() as cloud:
        created = _create(cloud, "vol-vm")
        uuid, password = created["id"], created["adminPass"]
        wait_status(cloud, "vol-vm", "ACTIVE")
        wait_boots(cloud, "vol-vm", 1)
        volume = cloud.cli("volume", "create", "--size", "1", "data1")
        _volume_status(cloud, "data1", "available")

        cloud.cli_raw("server", "add", "volume", "vol-vm", "data1")
        attached = _volume_status(cloud, "data1", "in-use")
        assert attached["attachments"][0]["server_id"] == uuid
        listed = cloud.cli("server", "volume", "list", "vol-vm")
        assert [v["Volume ID"] for v in listed] == [volume["id"]]

        with serial(cloud, uuid) as console:
            at = _root_shell(console, password)
            console.type(FIND_DISK.format(serial=volume["id"][:20]))
            found = console.wait_for(r"FOUND-42-vd[a-z]+\.", at, timeout=120)
            assert "FOUND-42-vdb." in console.text[at:found]
            console.type(WRITE.format(data=DATA))
            at = console.wait_for(r"WROTE-42", found, timeout=60)

            cloud.cli_raw("server", "remove", "volume", "vol-vm", "data1")
            _volume_status(cloud, "data1", "available")
            console.type(GONE)
            done = console.wait_for(r"(GONE|STILL)-42", at, timeout=120)
            assert "GONE-42" in console.text[at:done]

        assert cloud.cli("server", "volume", "list", "vol-vm") in (None, [])
        path = cloud.data_dir / "volumes" / "file" / f"volume-{volume['id']}"
        with path.open("rb") as stored:
            assert stored.read(len(DATA)) == DATA.encode()
        assert cloud.cli("server", "show", "vol-vm")["status"] == "ACTIVE"
