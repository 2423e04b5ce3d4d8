"""Image files that would make a host open one of its own files, built with the real tools.

Each case is a file plus the disk_format it is declared as: qcow2 files with a
backing file (v3, v2, the ``json:`` form) or an external data file, VMDKs whose
descriptor (a separate file or the one embedded in a sparse VMDK) names flat
extents or a parent, and format lies (a qcow2 declared raw, an ISO declared
qcow2). They all name ``host_file``, the file the attack is after; ``refusal`` is
the text the refusal must contain, with ``{disk_format}`` for the declared format.
"""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.requires import require_tools

MIB = 1024 * 1024


def qemu_img(*args: str) -> None:
    require_tools("qemu-img", why="the cases are built with the real image tool")
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


@dataclass(frozen=True)
class Case:
    name: str
    disk_format: str
    refusal: str
    build: Callable[[Path, Path], None]  # (target, host_file)

    def make(self, directory: Path, host_file: Path) -> Path:
        target = directory / f"{self.name}.img"
        if not target.exists():
            self.build(target, host_file)
        return target

    def message(self, disk_format: str | None = None) -> str:
        return self.refusal.format(disk_format=disk_format or self.disk_format)


def _qcow2_backing(*options: str) -> Callable[[Path, Path], None]:
    def build(target: Path, host_file: Path) -> None:
        qemu_img("create", "-f", "qcow2", *options, "-F", "raw", "-b", str(host_file), str(target))

    return build


def _qcow2_json_backing(target: Path, host_file: Path) -> None:
    spec = "json:" + json.dumps({"driver": "file", "filename": str(host_file)})
    qemu_img("create", "-f", "qcow2", "-u", "-F", "raw", "-b", spec, str(target), "1M")


def _qcow2_data_file(target: Path, host_file: Path) -> None:
    # qemu-img create would truncate the data file it names: name a scratch file here.
    scratch = target.with_suffix(".data")
    qemu_img("create", "-f", "qcow2", "-o", f"data_file={scratch}", str(target), "1M")


def _sparse_vmdk(target: Path, *, capacity: int | None, descriptor: str) -> None:
    """A monolithicSparse VMDK whose embedded descriptor is replaced by ``descriptor``."""
    qemu_img("create", "-f", "vmdk", str(target), "1M")
    data = bytearray(target.read_bytes())
    if capacity is not None:
        struct.pack_into("<Q", data, 12, capacity)
    offset, sectors = struct.unpack_from("<QQ", data, 28)
    encoded = descriptor.encode()
    assert len(encoded) <= sectors * 512
    data[offset * 512 : (offset + sectors) * 512] = encoded.ljust(sectors * 512, b"\0")
    target.write_bytes(bytes(data))


def _descriptor(create_type: str, extent: str, extra: str = "") -> str:
    return (
        "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\n"
        f'{extra}createType="{create_type}"\n\n# Extent description\n{extent}\n'
    )


def _vmdk_descriptor_file(target: Path, host_file: Path) -> None:
    target.write_text(_descriptor("monolithicFlat", f'RW 2048 FLAT "{host_file}" 0'))


def _vmdk_embedded_descriptor(target: Path, host_file: Path) -> None:
    # Capacity 0: QEMU takes the extents from the embedded descriptor.
    flat = _descriptor("monolithicFlat", f'RW 2048 FLAT "{host_file}" 0')
    _sparse_vmdk(target, capacity=0, descriptor=flat)


def _vmdk_flat_extent(target: Path, host_file: Path) -> None:
    extents = f'RW 2048 SPARSE "{target.name}"\nRW 2048 FLAT "{host_file}" 0'
    _sparse_vmdk(target, capacity=None, descriptor=_descriptor("monolithicSparse", extents))


def _vmdk_parent(target: Path, host_file: Path) -> None:
    parent = f'parentFileNameHint="{host_file}"\n'
    sparse = _descriptor("monolithicSparse", f'RW 2048 SPARSE "{target.name}"', parent)
    _sparse_vmdk(target, capacity=None, descriptor=sparse)


def _plain_qcow2(target: Path, _host_file: Path) -> None:
    qemu_img("create", "-f", "qcow2", str(target), "1M")


def _iso(target: Path, _host_file: Path) -> None:
    content = target.with_suffix(".d")
    content.mkdir(exist_ok=True)
    (content / "hello.txt").write_text("hello\n")
    subprocess.run(
        ["genisoimage", "-quiet", "-o", str(target), str(content)], check=True, capture_output=True
    )


MISMATCH = "does not match the declared disk_format {disk_format}"
CASES = (
    Case("qcow2-backing", "qcow2", "backing file", _qcow2_backing()),
    Case("qcow2-v2-backing", "qcow2", "backing file", _qcow2_backing("-o", "compat=0.10")),
    Case("qcow2-json-backing", "qcow2", "backing file", _qcow2_json_backing),
    Case("qcow2-data-file", "qcow2", "external data file", _qcow2_data_file),
    Case("vmdk-descriptor", "vmdk", "VMDK descriptor files are refused", _vmdk_descriptor_file),
    Case(
        "vmdk-embedded-descriptor",
        "vmdk",
        "extents come from their descriptor",
        _vmdk_embedded_descriptor,
    ),
    Case("vmdk-flat-extent", "vmdk", "external extents", _vmdk_flat_extent),
    Case("vmdk-parent", "vmdk", "parent disk", _vmdk_parent),
    Case("qcow2-as-raw", "raw", MISMATCH, _plain_qcow2),
    Case("iso-as-qcow2", "qcow2", MISMATCH, _iso),
)
BY_NAME = {case.name: case for case in CASES}
# Only what the file is matters to a raw declaration: an ISO is a fine raw disk.
RAW_DANGEROUS = tuple(case for case in CASES if case.name != "iso-as-qcow2")


def host_secret(directory: Path) -> Path:
    """The host file the images point at: recognisable content, a whole number of MiB."""
    path = directory / "host-secret.raw"
    if not path.exists():
        line = b"HOST-SECRET-DO-NOT-LEAK\n"
        path.write_bytes((line * (MIB // len(line) + 1))[:MIB])
    return path
