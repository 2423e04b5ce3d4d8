"""A real guest (QEMU, TCG) boots from a volume the build made from the guest image.

`openstack server create --boot-from-volume 1 --image nimbo-guest` must make a 1 GiB
volume from the image, attach it on the host and boot the guest from it (its console
shows the guest image's boot marker); deleting the server (with
``--delete-on-termination``) deletes the volume.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.guest_support import IMAGE, qemu_cloud, wait_boots, wait_status
from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli]


def _volumes(cloud: RunningCloud) -> list[dict[str, str]]:
    return list(cloud.cli("volume", "list") or [])


def _wait_no_volumes(cloud: RunningCloud, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while _volumes(cloud) and time.monotonic() < deadline:
        time.sleep(1.0)
    assert _volumes(cloud) == []


def test_a_guest_boots_from_a_volume_made_from_its_image() -> None:
    with qemu_cloud() as cloud:
        cloud.cli(
            "server", "create", "--flavor", "m1.nano", "--image", IMAGE,
            "--boot-from-volume", "1", "--delete-on-termination", "--nic", "none",
            "bfv-vm",
        )  # fmt: skip
        server = wait_status(cloud, "bfv-vm", "ACTIVE", timeout=600)
        assert server["image"] in ("", "N/A (booted from volume)")
        (volume,) = _volumes(cloud)
        shown = cloud.cli("volume", "show", volume["ID"])
        assert shown["status"] == "in-use" and str(shown["bootable"]).lower() == "true"
        assert shown["attachments"][0]["server_id"] == server["id"]
        listed = cloud.cli("server", "volume", "list", "bfv-vm")
        assert [v["Volume ID"] for v in listed] == [volume["ID"]]
        wait_boots(cloud, "bfv-vm", 1)

        cloud.cli_raw("server", "delete", "--wait", "bfv-vm")
        _wait_no_volumes(cloud)
