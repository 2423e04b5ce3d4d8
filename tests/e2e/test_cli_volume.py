"""The unmodified `openstack` CLI and openstacksdk against block storage in `nimbostack up`."""

from __future__ import annotations

import hashlib
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import openstack.connection
import pytest

from tests.e2e.guest_support import IMAGE, wait_guest_image
from tests.support.cloud import RunningCloud
from tests.support.requires import require_tools

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.cli,
    # openstacksdk warns about its own internals it plans to change.
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]


def _until(probe: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    found = probe()
    while not done(found):
        assert time.monotonic() < deadline, f"condition not met in {timeout}s: {found}"
        time.sleep(0.2)
        found = probe()
    return found


def _status(cloud: RunningCloud, volume: str, wanted: str = "available") -> Any:
    found = _until(
        lambda: cloud.cli("volume", "show", volume),
        lambda v: v["status"] in (wanted, "error"),
    )
    assert found["status"] == wanted, found
    return found


def _volume_file(cloud: RunningCloud, volume_id: str) -> Path:
    return cloud.data_dir / "volumes" / "file" / f"volume-{volume_id}"


def _digest(path: Path) -> str:
    """SHA-256 of a volume's content (raw files, the default), read through qemu-img."""
    require_tools("qemu-img", why="the volume's data is read with it")
    raw = path.with_name(path.name + ".check.raw")
    subprocess.run(
        ["qemu-img", "convert", "-U", "-f", "raw", "-O", "raw", str(path), str(raw)],
        check=True,
    )
    try:
        return hashlib.sha256(raw.read_bytes()).hexdigest()
    finally:
        raw.unlink()


@pytest.fixture(scope="module")
def sdk(cloud: RunningCloud) -> Iterator[openstack.connection.Connection]:
    with warnings.catch_warnings():
        # The SDK warns about an optional metrics library while it reads the config.
        warnings.simplefilter("ignore")
        config = openstack.config.OpenStackConfig(
            config_files=[str(cloud.data_dir / "clouds.yaml")], load_envvars=False
        )
        conn = openstack.connection.Connection(config=config.get_one("nimbostack"))
    yield conn
    conn.close()


def test_catalog_services_and_zones(cloud: RunningCloud) -> None:
    types = {s["Type"] for s in cloud.cli("catalog", "list")}
    assert {"block-storage", "volumev3"} <= types
    services = cloud.cli("volume", "service", "list")
    assert {s["Binary"] for s in services} == {"cinder-scheduler", "cinder-volume", "cinder-backup"}
    assert all(s["State"] == "up" for s in services)
    zones = cloud.cli("availability", "zone", "list", "--volume")
    assert zones == [{"Zone Name": "nova", "Zone Status": "available"}]


def test_volume_lifecycle(cloud: RunningCloud) -> None:
    made = cloud.cli("volume", "create", "--size", "1", "cli-v1")
    assert made["size"] == 1
    _status(cloud, "cli-v1")
    assert "cli-v1" in [v["Name"] for v in cloud.cli("volume", "list")]
    cloud.cli_raw(
        "volume",
        "set",
        "--name",
        "cli-v2",
        "--property",
        "a=1",
        "--property",
        "b=2",
        "--description",
        "d",
        "cli-v1",
    )
    cloud.cli_raw("volume", "unset", "--property", "a", "cli-v2")
    shown = cloud.cli("volume", "show", "cli-v2")
    assert shown["properties"] == {"b": "2"} and shown["description"] == "d"
    cloud.cli_raw("volume", "set", "--size", "2", "cli-v2")
    grown = _until(lambda: cloud.cli("volume", "show", "cli-v2"), lambda v: v["size"] == 2)
    assert grown["status"] == "available"
    cloud.cli_raw("volume", "delete", "cli-v2")
    _until(
        lambda: cloud.cli_raw("volume", "show", "cli-v2", check=False).returncode,
        lambda code: code != 0,
    )
    assert not _volume_file(cloud, made["id"]).exists()


def test_volume_from_image_snapshot_clone_backup(cloud: RunningCloud) -> None:
    wait_guest_image(cloud)
    boot = cloud.cli("volume", "create", "--image", IMAGE, "--bootable", "--size", "1", "cli-boot")
    shown = _status(cloud, "cli-boot")
    assert shown["bootable"] is True
    assert shown["volume_image_metadata"]["image_name"] == IMAGE
    snap = cloud.cli("volume", "snapshot", "create", "--volume", "cli-boot", "cli-snap")
    _until(
        lambda: cloud.cli("volume", "snapshot", "show", snap["id"]),
        lambda s: s["status"] == "available",
    )
    assert "cli-snap" in [s["Name"] for s in cloud.cli("volume", "snapshot", "list")]
    from_snap = cloud.cli("volume", "create", "--snapshot", "cli-snap", "cli-from-snap")
    clone = cloud.cli("volume", "create", "--source", "cli-boot", "cli-clone")
    _status(cloud, "cli-from-snap")
    _status(cloud, "cli-clone")
    original = _digest(_volume_file(cloud, boot["id"]))
    assert _digest(_volume_file(cloud, from_snap["id"])) == original
    assert _digest(_volume_file(cloud, clone["id"])) == original
    backup = cloud.cli("volume", "backup", "create", "--name", "cli-backup", "cli-boot")
    _until(
        lambda: cloud.cli("volume", "backup", "show", backup["id"]),
        lambda b: b["status"] == "available",
    )
    restored = cloud.cli("volume", "backup", "restore", "cli-backup", "cli-restored")
    _status(cloud, "cli-restored")
    assert _digest(_volume_file(cloud, restored["volume_id"])) == original
    cloud.cli_raw("volume", "snapshot", "delete", "cli-snap")
    _until(
        lambda: cloud.cli_raw("volume", "snapshot", "show", "cli-snap", check=False).returncode,
        lambda code: code != 0,
    )
    image = cloud.cli(
        "image", "create", "--volume", "cli-boot", "--disk-format", "qcow2", "cli-from-volume"
    )
    assert image["image_name"] == "cli-from-volume"
    uploaded = _until(
        lambda: cloud.cli("image", "show", "cli-from-volume"), lambda i: i["status"] == "active"
    )
    assert uploaded["disk_format"] == "qcow2"
    _status(cloud, "cli-boot")


def test_types_qos_and_quota(cloud: RunningCloud) -> None:
    cloud.cli("volume", "type", "create", "cli-gold")
    cloud.cli_raw("volume", "type", "set", "--property", "volume_backend_name=file", "cli-gold")
    vtype = cloud.cli("volume", "type", "show", "cli-gold")
    assert vtype["properties"] == {"volume_backend_name": "file"}
    cloud.cli(
        "volume",
        "qos",
        "create",
        "--consumer",
        "front-end",
        "--property",
        "total_iops_sec=500",
        "cli-qos",
    )
    cloud.cli_raw("volume", "qos", "associate", "cli-qos", "cli-gold")
    assert cloud.cli("volume", "qos", "show", "cli-qos")["associations"] == ["cli-gold"]
    cloud.cli("volume", "create", "--size", "1", "--type", "cli-gold", "cli-typed")
    assert _status(cloud, "cli-typed")["type"] == "cli-gold"
    account = cloud.make_project_user("volquota")
    cloud.cli_raw("quota", "set", "--volumes", "1", account.project)
    limits = {
        q["Resource"]: q["Limit"] for q in cloud.cli("quota", "show", "--volume", account.project)
    }
    assert limits["volumes"] == 1
    cloud.cli("volume", "create", "--size", "1", "q1", account=account)
    over = cloud.cli_raw("volume", "create", "--size", "1", "q2", account=account, check=False)
    assert over.returncode != 0 and "exceeded for quota 'volumes'" in over.stderr


def test_transfer_between_projects(cloud: RunningCloud) -> None:
    giver = cloud.make_project_user("giver")
    taker = cloud.make_project_user("taker")
    cloud.cli("volume", "create", "--size", "1", "cli-gift", account=giver)
    _until(
        lambda: cloud.cli("volume", "show", "cli-gift", account=giver),
        lambda v: v["status"] == "available",
    )
    offer = cloud.cli("volume", "transfer", "request", "create", "cli-gift", account=giver)
    listed = cloud.cli("volume", "transfer", "request", "list", account=giver)
    assert [t["ID"] for t in listed] == [offer["id"]]
    cloud.cli(
        "volume",
        "transfer",
        "request",
        "accept",
        "--auth-key",
        offer["auth_key"],
        offer["id"],
        account=taker,
    )
    assert [v["Name"] for v in cloud.cli("volume", "list", account=taker)] == ["cli-gift"]
    assert cloud.cli("volume", "list", account=giver) == []


def test_failed_create_leaves_a_message(cloud: RunningCloud) -> None:
    cloud.cli(
        "volume", "type", "create", "--property", "volume_backend_name=nowhere", "cli-nowhere"
    )
    cloud.cli("volume", "create", "--size", "1", "--type", "cli-nowhere", "cli-bad")
    _status(cloud, "cli-bad", wanted="error")
    messages = cloud.cli("--os-volume-api-version", "3.3", "volume", "message", "list")
    assert any(
        "Could not find any available weighted backend" in m["User Message"] for m in messages
    )


def test_sdk_create_wait_and_paging(cloud: RunningCloud, sdk: Any) -> None:
    volume = sdk.block_storage.create_volume(size=1, name="sdk-vol")
    volume = sdk.block_storage.wait_for_status(
        volume, status="available", failures=["error"], interval=0.2, wait=60
    )
    assert volume.size == 1
    expected = {v.id for v in sdk.block_storage.volumes(limit=1000)}
    paged = [v.id for v in sdk.block_storage.volumes(limit=2)]
    assert len(paged) == len(set(paged)) and set(paged) == expected
    sdk.block_storage.delete_volume(volume)
    sdk.block_storage.wait_for_delete(volume, interval=0.2, wait=60)
