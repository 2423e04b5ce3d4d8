"""Unit tests of the guest image builder parts: markers, cpio, ELF reader, guest scripts."""

from __future__ import annotations

import gzip
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nimbostack.compute.configdrive import openstack_metadata_files
from nimbostack.guest_image import elf
from nimbostack.guest_image.builder import parse_boot_marker, parse_tick_marker
from nimbostack.guest_image.cpio import DeviceNode, write_initramfs
from tests.support.requires import require_tools

GUEST_DIR = Path(__file__).resolve().parents[2] / "src/nimbostack/guest_image"
BOOT_ID = "0e1b10c2-e4bf-43a6-95b4-1372556154a2"


def test_boot_marker_is_parsed_despite_console_noise() -> None:
    line = (
        "\r[  3.1] x NIMBOSTACK-BOOT hostname=vm1 ips=10.0.0.5,10.1.0.5 uptime=3.72 "
        f"boot_id={BOOT_ID}\r"
    )
    assert parse_boot_marker(line) == {
        "hostname": "vm1",
        "ips": "10.0.0.5,10.1.0.5",
        "uptime": "3.72",
        "boot_id": BOOT_ID,
    }


def test_non_markers_and_truncated_markers_are_rejected() -> None:
    assert parse_boot_marker("vm1 login: ") is None
    assert parse_boot_marker("NIMBOSTACK-BOOT hostname=vm1 ips=none uptime=3.72") is None
    assert parse_boot_marker(f"NIMBOSTACK-TICK uptime=5.7 boot_id={BOOT_ID}") is None
    assert parse_tick_marker(f"NIMBOSTACK-TICK uptime=5.73 boot_id={BOOT_ID}") == {
        "uptime": "5.73",
        "boot_id": BOOT_ID,
    }


def _read_newc(archive: bytes) -> dict[str, tuple[int, int, int, bytes]]:
    """name -> (mode, uid, rdev major, data) for a newc cpio archive."""
    entries: dict[str, tuple[int, int, int, bytes]] = {}
    pos = 0
    while True:
        assert archive[pos : pos + 6] == b"070701"
        fields = [int(archive[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i in range(13)]
        mode, uid, size, rdev_major, name_size = (
            fields[1],
            fields[2],
            fields[6],
            fields[9],
            fields[11],
        )
        name_start = pos + 110
        name = archive[name_start : name_start + name_size - 1].decode()
        data_start = (name_start + name_size + 3) & ~3
        data = archive[data_start : data_start + size]
        pos = (data_start + size + 3) & ~3
        if name == "TRAILER!!!":
            return entries
        entries[name] = (mode, uid, rdev_major, data)


def test_initramfs_archive_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "dev").mkdir()
    (root / "init").write_text("#!/bin/sh\n")
    (root / "init").chmod(0o755)
    (root / "bin/sh").symlink_to("/bin/busybox")
    dest = write_initramfs(root, tmp_path / "initrd.img", (DeviceNode("/dev/console", 5, 1),))

    entries = _read_newc(gzip.decompress(dest.read_bytes()))
    assert list(entries) == [".", "bin", "bin/sh", "dev", "init", "dev/console"]
    assert all(uid == 0 for _, uid, _, _ in entries.values())
    init_mode, _, _, init_data = entries["init"]
    assert stat.S_ISREG(init_mode) and stat.S_IMODE(init_mode) == 0o755
    assert init_data == b"#!/bin/sh\n"
    link_mode, _, _, target = entries["bin/sh"]
    assert stat.S_ISLNK(link_mode) and target == b"/bin/busybox"
    console_mode, _, major, _ = entries["dev/console"]
    assert stat.S_ISCHR(console_mode) and major == 5
    # Same input, same bytes: the image cache key can rely on it.
    again = write_initramfs(root, tmp_path / "again.img", (DeviceNode("/dev/console", 5, 1),))
    assert again.read_bytes() == dest.read_bytes()


def test_elf_needed_libraries_of_a_host_binary() -> None:
    # The interpreter running the tests is a dynamically linked ELF binary on any Linux.
    assert "libc.so.6" in elf.needed_libraries(Path(sys.executable).resolve())


def test_elf_reader_rejects_other_files(tmp_path: Path) -> None:
    text = tmp_path / "script"
    text.write_text("#!/bin/sh\n" + " " * 64)
    with pytest.raises(elf.ElfError):
        elf.needed_libraries(text)


def _busybox() -> str:
    require_tools("busybox", why="the guest image is built from busybox")
    found = shutil.which("busybox")
    assert found is not None
    return found


def _guest_json(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_busybox(), "sh", str(GUEST_DIR / "json.sh"), *args],
        check=False,
        capture_output=True,
        text=True,
    )


def test_guest_json_reader_understands_our_meta_data(tmp_path: Path) -> None:
    files = openstack_metadata_files(
        "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b",
        "vm1.novalocal",
        "vm1",
        {"a": "ssh-ed25519 AAAA a@x\n", "b": 'ssh-rsa BBBB "quoted" b@y'},
        None,
        None,
        # A user-set meta key must not shadow the real hostname.
        meta={"hostname": "evil", "note": 'brace } and "quote"'},
    )
    meta = tmp_path / "meta_data.json"
    meta.write_bytes(files["openstack/latest/meta_data.json"])

    assert _guest_json("get", "hostname", str(meta)).stdout == "vm1.novalocal\n"
    assert _guest_json("get", "launch_index", str(meta)).stdout == "0\n"
    assert _guest_json("get", "missing", str(meta)).returncode == 1
    keys = tmp_path / "keys.json"
    keys.write_text(_guest_json("get", "public_keys", str(meta)).stdout)
    values = [line for line in _guest_json("values", str(keys)).stdout.splitlines() if line]
    assert values == ["ssh-ed25519 AAAA a@x", 'ssh-rsa BBBB "quoted" b@y']


@pytest.mark.parametrize(
    "script", ["init.sh", "udhcpc.sh", "json.sh", "shutdown.sh", "power-button.sh"]
)
def test_guest_scripts_parse(script: str) -> None:
    checked = subprocess.run(
        [_busybox(), "sh", "-n", str(GUEST_DIR / script)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
