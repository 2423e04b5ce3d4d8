"""Unit tests of config drives: the OpenStack/EC2 metadata tree and the ISO9660 image."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nimbostack.compute.configdrive import (
    CONFIG_DRIVE_LABEL,
    OPENSTACK_VERSIONS,
    build_config_drive,
    ec2_instance_id,
    openstack_metadata_files,
)
from tests.support.requires import require_tools

UUID = "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
KEYS = {"alice": "ssh-ed25519 AAAAC3Nza alice@laptop\n", "bob": "ssh-rsa AAAAB3Nza bob@desk"}
USER_DATA = b"#!/bin/sh\necho hi\n"
NETWORK_DATA: dict[str, Any] = {
    "links": [{"id": "tap0", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:01"}],
    "networks": [{"id": "net0", "link": "tap0", "type": "ipv4_dhcp"}],
    "services": [],
}


def _files(**overrides: Any) -> dict[str, bytes]:
    arguments: dict[str, Any] = {
        "uuid": UUID,
        "hostname": "vm1",
        "name": "my server",
        "public_keys": KEYS,
        "user_data": USER_DATA,
        "network_data": NETWORK_DATA,
    }
    arguments.update(overrides)
    return openstack_metadata_files(**arguments)


def _json(files: dict[str, bytes], path: str) -> Any:
    return json.loads(files[path])


def test_latest_meta_data_describes_the_instance() -> None:
    files = _files(meta={"role": "web"}, availability_zone="az1", project_id="p1")
    meta = _json(files, "openstack/latest/meta_data.json")

    assert meta["uuid"] == UUID
    assert meta["hostname"] == "vm1"
    assert meta["name"] == "my server"
    assert meta["meta"] == {"role": "web"}
    assert meta["availability_zone"] == "az1"
    assert meta["project_id"] == "p1"
    assert meta["launch_index"] == 0
    assert meta["public_keys"] == KEYS
    assert meta["keys"] == [
        {"name": "alice", "type": "ssh", "data": KEYS["alice"]},
        {"name": "bob", "type": "ssh", "data": KEYS["bob"]},
    ]
    assert len(base64.b64decode(meta["random_seed"])) == 512
    assert "admin_pass" not in meta


def test_admin_pass_and_explicit_random_seed() -> None:
    meta = _json(
        _files(admin_pass="s3cret", random_seed=b"\x01" * 16), "openstack/latest/meta_data.json"
    )
    assert meta["admin_pass"] == "s3cret"
    assert base64.b64decode(meta["random_seed"]) == b"\x01" * 16


def test_every_version_has_meta_data_and_user_data() -> None:
    files = _files()
    for version in (*OPENSTACK_VERSIONS, "latest"):
        assert _json(files, f"openstack/{version}/meta_data.json")["uuid"] == UUID
        assert files[f"openstack/{version}/user_data"] == USER_DATA
    assert files["ec2/latest/user-data"] == USER_DATA


def test_files_and_keys_appear_with_the_version_that_introduced_them() -> None:
    files = _files()
    assert "openstack/2013-04-04/vendor_data.json" not in files
    assert "openstack/2013-10-17/vendor_data.json" in files
    assert "openstack/2013-10-17/network_data.json" not in files
    assert _json(files, "openstack/2015-10-15/network_data.json") == NETWORK_DATA
    assert "openstack/2016-06-30/vendor_data2.json" not in files
    assert "openstack/2016-10-06/vendor_data2.json" in files
    assert "random_seed" not in _json(files, "openstack/2012-08-10/meta_data.json")
    assert "dedicated_cpus" not in _json(files, "openstack/2018-08-27/meta_data.json")
    assert "dedicated_cpus" in _json(files, "openstack/2020-10-14/meta_data.json")


def test_no_user_data_and_no_network_data() -> None:
    files = _files(user_data=None, network_data=None)
    assert not [path for path in files if path.endswith(("user_data", "user-data"))]
    assert _json(files, "openstack/latest/network_data.json") == {
        "links": [],
        "networks": [],
        "services": [],
    }


def test_vendor_data_is_passed_through() -> None:
    files = _files(vendor_data={"cloud": "nimbo"})
    assert _json(files, "openstack/latest/vendor_data.json") == {"cloud": "nimbo"}


def test_ec2_meta_data() -> None:
    ec2 = _json(_files(instance_type="m1.tiny", local_ipv4="10.0.0.5"), "ec2/latest/meta-data.json")
    assert ec2["instance-id"] == ec2_instance_id(UUID) == "i-6f1a2b3c"
    assert ec2["hostname"] == "vm1"
    assert ec2["instance-type"] == "m1.tiny"
    assert ec2["local-ipv4"] == "10.0.0.5"
    assert ec2["public-keys"]["0"] == {"_name": "0=alice", "openssh-key": KEYS["alice"]}
    assert ec2["public-keys"]["1"]["openssh-key"] == KEYS["bob"]
    assert ec2["placement"] == {"availability-zone": "nova"}


@pytest.mark.parametrize("bad", ["../escape", "/etc/passwd", "openstack/../../x", "a/./b", ""])
def test_paths_outside_the_drive_are_rejected(bad: str, tmp_path: Path) -> None:
    require_tools("genisoimage", why="the config drive is an ISO")
    with pytest.raises(ValueError, match="invalid config drive path"):
        build_config_drive({bad: b"x"}, tmp_path / "drive.iso")
    assert not (tmp_path / "drive.iso").exists()


def _isoinfo(*args: str) -> str:
    return subprocess.run(["isoinfo", *args], check=True, capture_output=True, text=True).stdout


def test_iso_has_label_and_readable_files(tmp_path: Path) -> None:
    require_tools("genisoimage", "isoinfo", why="the config drive is an ISO read back here")
    files = _files()
    iso = build_config_drive(files, tmp_path / "cfg" / "disk.config")

    assert f"Volume id: {CONFIG_DRIVE_LABEL}" in _isoinfo("-d", "-i", str(iso))
    # Joliet and Rock Ridge keep the long lower-case names readers expect.
    for path in (
        "/openstack/latest/meta_data.json",
        "/openstack/2016-10-06/vendor_data2.json",
        "/ec2/latest/meta-data.json",
    ):
        for mode in ("-J", "-R"):
            content = subprocess.run(
                ["isoinfo", "-i", str(iso), mode, "-x", path], check=True, capture_output=True
            ).stdout
            assert content == files[path.lstrip("/")], (mode, path)
    listing = _isoinfo("-i", str(iso), "-R", "-f")
    assert "/openstack/latest/user_data" in listing.splitlines()
    # Nothing but the ISO is left next to it.
    assert [p.name for p in iso.parent.iterdir()] == ["disk.config"]
