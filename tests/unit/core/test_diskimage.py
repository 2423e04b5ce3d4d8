"""Disk image inspection: format detection, refused links, and qemu-img under limits."""

from __future__ import annotations

import asyncio
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from nimbostack.core import diskimage
from nimbostack.core.diskimage import probe, qemu_img
from tests.support.dangerous_images import CASES, RAW_DANGEROUS, Case, host_secret


def _qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", "create", *args], check=True, capture_output=True)


def test_detects_formats(tmp_path: Path) -> None:
    _qemu_img("-f", "qcow2", str(tmp_path / "a.qcow2"), "1M")
    _qemu_img("-f", "vmdk", str(tmp_path / "a.vmdk"), "1M")
    _qemu_img("-f", "vpc", str(tmp_path / "a.vhd"), "1M")
    _qemu_img("-f", "qed", str(tmp_path / "a.qed"), "1M")
    (tmp_path / "a.raw").write_bytes(b"\0" * 4096)
    iso = bytearray(0x9000)
    iso[0x8001:0x8006] = b"CD001"
    (tmp_path / "a.iso").write_bytes(bytes(iso))
    found = {p.suffix: probe.examine(p) for p in tmp_path.iterdir()}
    assert found == {
        ".qcow2": "qcow2",
        ".vmdk": "vmdk",
        ".vhd": "vpc",
        ".qed": "qed",
        ".raw": "raw",
        ".iso": "iso",
    }


async def test_inspect_accepts_plain_images(tmp_path: Path) -> None:
    qcow2, vmdk, raw = tmp_path / "a.qcow2", tmp_path / "a.vmdk", tmp_path / "a.raw"
    _qemu_img("-f", "qcow2", str(qcow2), "2M")
    _qemu_img("-f", "vmdk", "-o", "subformat=streamOptimized", str(vmdk), "1M")
    raw.write_bytes(b"\1" * 1000)  # not a whole sector: raw is its own size
    assert await diskimage.inspect(qcow2, "qcow2") == diskimage.Inspection("qcow2", 2 * 1024**2)
    assert await diskimage.inspect(vmdk, "vmdk") == diskimage.Inspection("vmdk", 1024**2)
    assert await diskimage.inspect(raw, "raw") == diskimage.Inspection("raw", 1000)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dangerous")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_every_dangerous_image_is_refused(files: Path, case: Case) -> None:
    path = case.make(files, host_secret(files))
    with pytest.raises(diskimage.FormatError) as refused:
        await diskimage.inspect(path, case.disk_format)
    assert case.message() in str(refused.value)


@pytest.mark.parametrize("case", RAW_DANGEROUS, ids=[case.name for case in RAW_DANGEROUS])
def test_dangerous_images_declared_raw_fail_the_header_check(files: Path, case: Case) -> None:
    path = case.make(files, host_secret(files))
    with pytest.raises(diskimage.FormatError):
        diskimage.check_header(path, "ami")


def _qcow2_v3_header(extensions: bytes) -> bytes:
    header = bytearray(104)
    header[0:4] = b"QFI\xfb"
    struct.pack_into(">I", header, 4, 3)
    struct.pack_into(">I", header, 100, 104)  # header length: extensions follow
    return bytes(header) + extensions + b"\0" * 8


def test_qcow2_data_file_name_extension_is_refused_without_the_flag() -> None:
    name = b"/etc/shadow"
    padded = name + b"\0" * (-len(name) % 8)
    data_file = struct.pack(">II", 0x44415441, len(name)) + padded
    with pytest.raises(diskimage.FormatError, match="external data file"):
        probe.check_qcow2(_qcow2_v3_header(data_file))
    backing_format = struct.pack(">II", 0xE2792ACA, 3) + b"raw\0\0\0\0\0"
    probe.check_qcow2(_qcow2_v3_header(backing_format))  # harmless on its own


def test_qcow2_header_too_short_or_unknown_version() -> None:
    with pytest.raises(diskimage.FormatError, match="too short"):
        probe.check_qcow2(b"QFI\xfb\0\0\0\3")
    with pytest.raises(diskimage.FormatError, match="unknown version 1"):
        probe.check_qcow2(b"QFI\xfb\0\0\0\1" + b"\0" * 100)


async def test_qemu_img_is_never_run_on_a_refused_header(
    files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    spy = tmp_path / "qemu-img-spy"
    real = shutil.which("qemu-img")
    spy.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real} "$@"\n')
    spy.chmod(0o755)
    plain = tmp_path / "plain.qcow2"
    _qemu_img("-f", "qcow2", str(plain), "1M")
    await diskimage.inspect(plain, "qcow2", qemu_img=str(spy))
    assert calls.read_text().count("info") == 1  # the spy works
    for case in CASES:
        with pytest.raises(diskimage.FormatError):
            path = case.make(files, host_secret(files))
            await diskimage.inspect(path, case.disk_format, qemu_img=str(spy))
    assert calls.read_text().count("info") == 1


def test_qemu_img_runs_under_cpu_and_address_space_limits() -> None:
    argv = qemu_img.limited(["qemu-img", "info", "x"], timeout=60)
    assert argv[0] == "prlimit"
    assert "--cpu=30" in argv and f"--as={1024**3}" in argv
    assert argv[argv.index("--") + 1 :] == ["qemu-img", "info", "x"]


async def test_limits_reach_the_child(tmp_path: Path) -> None:
    argv = qemu_img.limited(["sh", "-c", "ulimit -t; ulimit -v"], timeout=5)
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    assert out.decode().split() == ["5", str(1024**3 // 1024)]


async def test_a_hanging_inspection_is_cut_off(tmp_path: Path) -> None:
    slow = tmp_path / "qemu-img-slow"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    raw = tmp_path / "a.raw"
    raw.write_bytes(b"\0" * 512)
    with pytest.raises(diskimage.FormatError, match="in time"):
        await diskimage.inspect(raw, "raw", timeout=0.5, qemu_img=str(slow))
