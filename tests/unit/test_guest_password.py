"""The guest sets root's password from its config drive (password.sh), and the image
cache key follows the guest's scripts, so a changed script means a rebuilt image."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nimbostack.compute.configdrive import openstack_metadata_files
from nimbostack.guest_image import builder
from nimbostack.guest_image.packages import DebPackage
from tests.support.requires import require_tools

GUEST_DIR = Path(__file__).resolve().parents[2] / "src/nimbostack/guest_image"
DEFAULT_SHADOW = "root:$6$nimbostack$default:19000:0:99999:7:::\n"
# Quotes, a backslash, a space and a non-ASCII letter must all reach the guest intact.
PASSWORD = 'pa"ss \\wörd-1'


@pytest.fixture
def guest_bin(tmp_path: Path) -> Path:
    """A PATH holding busybox's applets only, as in the guest."""
    require_tools("busybox", why="the guest's password script runs on busybox applets")
    busybox = shutil.which("busybox")
    assert busybox is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for applet in ("sh", "awk", "mkpasswd", "mkdir", "mv", "cat"):
        (bin_dir / applet).symlink_to(busybox)
    return bin_dir


def _meta(tmp_path: Path, admin_pass: str | None) -> Path:
    files = openstack_metadata_files("u-1", "vm", "vm", {}, None, None, admin_pass=admin_pass)
    meta = tmp_path / "meta_data.json"
    meta.write_bytes(files["openstack/latest/meta_data.json"])
    return meta


def _set(guest_bin: Path, meta: Path, shadow: Path, save: Path | None) -> int:
    env = {"PATH": str(guest_bin), "NIMBO_JSON": f"sh {GUEST_DIR / 'json.sh'}"}
    args = ["sh", str(GUEST_DIR / "password.sh"), str(meta), str(shadow), str(save or "")]
    return subprocess.run(args, env=env, check=False, capture_output=True).returncode


def _root_hash(shadow: Path) -> str:
    (line,) = [ln for ln in shadow.read_text().splitlines() if ln.startswith("root:")]
    return line.split(":")[1]


def _matches(guest_bin: Path, password: str, hashed: str) -> bool:
    """Whether ``hashed`` (sha512-crypt) is the hash of ``password``."""
    salt = hashed.split("$")[2]
    again = subprocess.run(
        [str(guest_bin / "mkpasswd"), "-m", "sha512", "-P", "0", "-S", salt],
        input=(password + "\n").encode(),
        capture_output=True,
        check=True,
    )
    return again.stdout.decode().strip() == hashed


def test_admin_pass_becomes_root_password_and_is_kept(guest_bin: Path, tmp_path: Path) -> None:
    shadow, save = tmp_path / "shadow", tmp_path / "disk/etc/nimbo"
    shadow.write_text(DEFAULT_SHADOW)
    assert _set(guest_bin, _meta(tmp_path, PASSWORD), shadow, save) == 0
    hashed = _root_hash(shadow)
    assert _matches(guest_bin, PASSWORD, hashed)
    assert not _matches(guest_bin, "nimbo", hashed)
    assert (save / "root.hash").read_text().strip() == hashed
    assert PASSWORD not in (save / "root.hash").read_text()
    assert oct((save / "root.hash").stat().st_mode & 0o777) == "0o600"

    # A later boot whose metadata has no admin_pass keeps the password from the disk.
    shadow.write_text(DEFAULT_SHADOW)
    assert _set(guest_bin, _meta(tmp_path, None), shadow, save) == 0
    assert _root_hash(shadow) == hashed


def test_without_any_admin_pass_root_keeps_its_password(guest_bin: Path, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(DEFAULT_SHADOW)
    assert _set(guest_bin, _meta(tmp_path, None), shadow, tmp_path / "empty") == 1
    assert _set(guest_bin, tmp_path / "no-metadata.json", shadow, None) == 1
    assert shadow.read_text() == DEFAULT_SHADOW


def test_the_image_cache_key_follows_the_guest_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = tmp_path / "guest"
    shutil.copytree(GUEST_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(builder, "_TEMPLATE_DIR", scripts)
    plan = (DebPackage("busybox-static", "1.0"),)
    first = builder._cache_key(plan)
    assert builder._cache_key(plan) == first
    password = scripts / "password.sh"
    password.write_text(password.read_text() + "# changed\n")
    assert builder._cache_key(plan) != first
