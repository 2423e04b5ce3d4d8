"""Config drives: the OpenStack metadata file tree and the ISO9660 image carrying it.

A config drive is what Nova attaches so a guest can configure itself without
a network: an ISO9660 (Joliet + Rock Ridge) volume labelled ``config-2``
holding ``openstack/<version>/…`` and ``ec2/<version>/…`` files.  The file
layout follows Nova's so that cloud-init and our own guest both read it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

CONFIG_DRIVE_LABEL = "config-2"

# Nova's dated metadata versions; "latest" is written as well.
OPENSTACK_VERSIONS = (
    "2012-08-10",
    "2013-04-04",
    "2013-10-17",
    "2015-10-15",
    "2016-06-30",
    "2016-10-06",
    "2017-02-22",
    "2018-08-27",
    "2020-10-14",
)
EC2_VERSIONS = ("2009-04-04",)
_LATEST = "latest"

# File or meta_data key -> first version that carries it (as Nova does).
_FILE_SINCE = {
    "vendor_data.json": "2013-10-17",
    "network_data.json": "2015-10-15",
    "vendor_data2.json": "2016-10-06",
}
_KEY_SINCE = {
    "random_seed": "2013-10-17",
    "project_id": "2015-10-15",
    "devices": "2016-06-30",
    "dedicated_cpus": "2020-10-14",
}
_EMPTY_NETWORK_DATA: dict[str, list[Any]] = {"links": [], "networks": [], "services": []}


class ConfigDriveError(RuntimeError):
    """The ISO image could not be built."""


def _since(version: str, first: str) -> bool:
    # ISO dates compare correctly as strings; "latest" has everything.
    return version == _LATEST or version >= first


def _json(value: Any) -> bytes:
    # UTF-8 rather than \u escapes: the guest's small JSON reader passes bytes through
    # (an admin password or a name outside ASCII reaches it intact).
    return json.dumps(value, ensure_ascii=False).encode()


def _meta_data(
    uuid: str,
    hostname: str,
    name: str,
    public_keys: Mapping[str, str],
    *,
    meta: Mapping[str, str],
    availability_zone: str,
    project_id: str,
    launch_index: int,
    admin_pass: str | None,
    random_seed: bytes,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": uuid,
        "meta": dict(meta),
        "public_keys": dict(public_keys),
        "keys": [{"name": k, "type": "ssh", "data": v} for k, v in public_keys.items()],
        "hostname": hostname,
        "name": name,
        "launch_index": launch_index,
        "availability_zone": availability_zone,
        "random_seed": base64.b64encode(random_seed).decode(),
        "project_id": project_id,
        "devices": [],
        "dedicated_cpus": [],
    }
    if admin_pass is not None:
        data["admin_pass"] = admin_pass
    return data


def _meta_data_for(version: str, full: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in full.items()
        if key not in _KEY_SINCE or _since(version, _KEY_SINCE[key])
    }


def ec2_instance_id(uuid: str) -> str:
    """A stable EC2-style id ("i-" + 8 hex digits) derived from the instance uuid."""
    return "i-" + uuid.replace("-", "")[:8].lower()


def _ec2_meta_data(
    uuid: str,
    hostname: str,
    public_keys: Mapping[str, str],
    *,
    availability_zone: str,
    launch_index: int,
    instance_type: str,
    local_ipv4: str,
    public_ipv4: str,
    image_id: str,
) -> dict[str, Any]:
    keys = {
        str(index): {"_name": f"{index}={key_name}", "openssh-key": key}
        for index, (key_name, key) in enumerate(public_keys.items())
    }
    return {
        "ami-id": image_id,
        "ami-launch-index": launch_index,
        "ami-manifest-path": "FIXME",
        "block-device-mapping": {"ami": "vda", "root": "/dev/vda"},
        "hostname": hostname,
        "instance-action": "none",
        "instance-id": ec2_instance_id(uuid),
        "instance-type": instance_type,
        "local-hostname": hostname,
        "local-ipv4": local_ipv4,
        "placement": {"availability-zone": availability_zone},
        "public-hostname": hostname,
        "public-ipv4": public_ipv4,
        "public-keys": keys,
        "reservation-id": "r-" + uuid.replace("-", "")[8:16].lower(),
        "security-groups": ["default"],
    }


# Six positional parameters: the call shape agreed with the compute driver.
def openstack_metadata_files(  # noqa: PLR0917
    uuid: str,
    hostname: str,
    name: str,
    public_keys: Mapping[str, str],
    user_data: bytes | None,
    network_data: Mapping[str, Any] | None,
    *,
    meta: Mapping[str, str] | None = None,
    availability_zone: str = "nova",
    project_id: str = "",
    launch_index: int = 0,
    admin_pass: str | None = None,
    vendor_data: Mapping[str, Any] | None = None,
    instance_type: str = "",
    local_ipv4: str = "",
    public_ipv4: str = "",
    image_id: str = "",
    random_seed: bytes | None = None,
) -> dict[str, bytes]:
    """The config-drive file tree (relative path -> content) for one instance."""
    full = _meta_data(
        uuid,
        hostname,
        name,
        public_keys,
        meta=meta or {},
        availability_zone=availability_zone,
        project_id=project_id,
        launch_index=launch_index,
        admin_pass=admin_pass,
        random_seed=os.urandom(512) if random_seed is None else random_seed,
    )
    per_version_files = {
        "network_data.json": _json(dict(network_data or _EMPTY_NETWORK_DATA)),
        "vendor_data.json": _json(dict(vendor_data or {})),
        "vendor_data2.json": _json({}),
    }
    files: dict[str, bytes] = {}
    for version in (*OPENSTACK_VERSIONS, _LATEST):
        base = f"openstack/{version}"
        files[f"{base}/meta_data.json"] = _json(_meta_data_for(version, full))
        if user_data is not None:
            files[f"{base}/user_data"] = user_data
        for file_name, content in per_version_files.items():
            if _since(version, _FILE_SINCE[file_name]):
                files[f"{base}/{file_name}"] = content
    ec2 = _json(
        _ec2_meta_data(
            uuid,
            hostname,
            public_keys,
            availability_zone=availability_zone,
            launch_index=launch_index,
            instance_type=instance_type,
            local_ipv4=local_ipv4,
            public_ipv4=public_ipv4,
            image_id=image_id,
        )
    )
    for version in (*EC2_VERSIONS, _LATEST):
        files[f"ec2/{version}/meta-data.json"] = ec2
        if user_data is not None:
            files[f"ec2/{version}/user-data"] = user_data
    return files


def _iso_command() -> list[str]:
    for tool in ("genisoimage", "mkisofs"):
        found = shutil.which(tool)
        if found:
            return [found]
    xorriso = shutil.which("xorriso")
    if xorriso:
        return [xorriso, "-as", "mkisofs"]
    raise ConfigDriveError("no ISO tool found: install genisoimage (or xorriso)")


def _safe_target(root: Path, relative: str) -> Path:
    # Raw split, not PurePosixPath: it would silently normalise "a/./b".
    parts = relative.split("/")
    # Paths may come from API users (injected files): never escape root.
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"invalid config drive path: {relative!r}")
    return root.joinpath(*parts)


def _populate(root: Path, files: Mapping[str, bytes]) -> None:
    for relative, content in files.items():
        target = _safe_target(root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _iso_arguments(source: Path, output: Path, label: str) -> Sequence[str]:
    # The flag set Nova uses: long lowercase names, Joliet and Rock Ridge.
    return [
        "-o",
        str(output),
        "-ldots",
        "-allow-lowercase",
        "-allow-multidot",
        "-l",
        "-publisher",
        "Nimbostack",
        "-quiet",
        "-J",
        "-r",
        "-V",
        label,
        str(source),
    ]


def build_config_drive(
    files: Mapping[str, bytes], dest: Path, *, label: str = CONFIG_DRIVE_LABEL
) -> Path:
    """Write an ISO9660 config drive holding files to dest and return dest."""
    command = _iso_command()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".configdrive-") as tmp:
        source = Path(tmp) / "tree"
        source.mkdir()
        _populate(source, files)
        partial = Path(tmp) / "drive.iso"
        try:
            subprocess.run(
                [*command, *_iso_arguments(source, partial, label)],
                check=True,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as exc:
            raise ConfigDriveError(f"ISO build failed: {exc.stderr.strip()}") from exc
        # Rename: a booting VM never sees a half-written ISO.
        os.replace(partial, dest)
    return dest
