"""The unmodified openstack CLI against the image service of `nimbostack up`."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.cloud import RunningCloud
from tests.support.requires import require_tools

pytestmark = [pytest.mark.e2e, pytest.mark.cli]


@pytest.fixture
def qcow2_file(tmp_path: Path) -> Path:
    require_tools("qemu-img", why="a real qcow2 file to upload")
    path = tmp_path / "disk.qcow2"
    subprocess.run(
        ["qemu-img", "create", "-f", "qcow2", str(path), "16M"], check=True, capture_output=True
    )
    return path


def test_image_lifecycle_with_cli(cloud: RunningCloud, qcow2_file: Path, tmp_path: Path) -> None:
    name = f"cli-{uuid.uuid4().hex[:6]}"
    image = cloud.cli(
        "image",
        "create",
        "--file",
        str(qcow2_file),
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
        name,
    )
    assert image["status"] == "active"
    assert image["disk_format"] == "qcow2"
    listed = cloud.cli("image", "list", "--name", name)
    assert [i["ID"] for i in listed] == [image["id"]]
    cloud.cli_raw("image", "set", "--property", "os_distro=cirros", "--tag", "gold", name)
    shown = cloud.cli("image", "show", name)
    assert shown["properties"]["os_distro"] == "cirros"
    assert shown["tags"] == ["gold"]
    cloud.cli_raw("image", "unset", "--property", "os_distro", name)
    assert "os_distro" not in (cloud.cli("image", "show", name)["properties"] or {})
    cloud.cli_raw("image", "set", "--deactivate", name)
    assert cloud.cli("image", "show", name)["status"] == "deactivated"
    cloud.cli_raw("image", "set", "--activate", name)
    assert cloud.cli("image", "show", name)["status"] == "active"
    saved = tmp_path / "saved.qcow2"
    cloud.cli_raw("image", "save", "--file", str(saved), name)
    assert saved.read_bytes() == qcow2_file.read_bytes()
    expected = hashlib.sha512(saved.read_bytes()).hexdigest()
    shown = cloud.cli("image", "show", name)
    # OSC prints os_hash_value among the properties (it maps it to an SDK alias).
    assert (shown.get("os_hash_value") or shown["properties"]["os_hash_value"]) == expected
    cloud.cli_raw("image", "delete", name)
    missing = cloud.cli_raw("image", "show", name, check=False)
    assert missing.returncode != 0


def test_sharing_with_cli(cloud: RunningCloud) -> None:
    project_a, project_b = cloud.make_project_user("img-a"), cloud.make_project_user("img-b")
    name = f"share-{uuid.uuid4().hex[:6]}"
    image = cloud.cli("image", "create", "--shared", name, account=project_a)
    seen_before = cloud.cli("image", "list", account=project_b)
    assert image["id"] not in [i["ID"] for i in seen_before]
    cloud.cli("image", "add", "project", image["id"], project_b.project_id, account=project_a)
    cloud.cli_raw("image", "set", "--accept", image["id"], account=project_b)
    seen_after = cloud.cli("image", "list", account=project_b)
    assert image["id"] in [i["ID"] for i in seen_after]
