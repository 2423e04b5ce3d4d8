"""Format detection and the qcow2 header checks, on files made with qemu-img."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nimbostack.image import formats


def _qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", "create", *args], check=True, capture_output=True)


def test_detects_formats(tmp_path: Path) -> None:
    _qemu_img("-f", "qcow2", str(tmp_path / "a.qcow2"), "1M")
    _qemu_img("-f", "vmdk", str(tmp_path / "a.vmdk"), "1M")
    _qemu_img("-f", "vpc", str(tmp_path / "a.vhd"), "1M")
    (tmp_path / "a.raw").write_bytes(b"\0" * 4096)
    iso = bytearray(0x9000)
    iso[0x8001:0x8006] = b"CD001"
    (tmp_path / "a.iso").write_bytes(bytes(iso))
    found = {p.suffix: formats.detect(p) for p in tmp_path.iterdir()}
    assert found == {
        ".qcow2": "qcow2",
        ".vmdk": "vmdk",
        ".vhd": "vpc",
        ".raw": "raw",
        ".iso": "iso",
    }


async def test_inspect_accepts_plain_qcow2(tmp_path: Path) -> None:
    path = tmp_path / "a.qcow2"
    _qemu_img("-f", "qcow2", str(path), "2M")
    result = await formats.inspect(path, "qcow2", 10)
    assert result == formats.Inspection("qcow2", 2 * 1024 * 1024)


async def test_inspect_refuses_backing_file(tmp_path: Path) -> None:
    (tmp_path / "base.raw").write_bytes(b"\0" * 512)
    path = tmp_path / "x.qcow2"
    _qemu_img("-f", "qcow2", "-b", str(tmp_path / "base.raw"), "-F", "raw", str(path))
    with pytest.raises(formats.FormatError, match="backing file"):
        await formats.inspect(path, "qcow2", 10)


async def test_inspect_refuses_mismatch_and_descriptor(tmp_path: Path) -> None:
    raw = tmp_path / "a.raw"
    raw.write_bytes(b"\0" * 1024)
    with pytest.raises(formats.FormatError, match="looks like raw"):
        await formats.inspect(raw, "vmdk", 10)
    desc = tmp_path / "d.vmdk"
    desc.write_text('# Disk DescriptorFile\nRW 2048 FLAT "/etc/passwd" 0\n')
    with pytest.raises(formats.FormatError, match="descriptor"):
        await formats.inspect(desc, "vmdk", 10)


def test_qcow2_header_too_short() -> None:
    with pytest.raises(formats.FormatError, match="too short"):
        formats.check_qcow2_header(b"QFI\xfb\0\0\0\3")
