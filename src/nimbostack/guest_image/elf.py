"""Minimal ELF64 reader: kernel-module dependencies and shared-library needs.

The guest builder must know which kernel modules a module depends on and which
shared libraries a dynamically linked binary (dropbear, resize2fs) loads, without
running host tools (kmod is not installed and ``ldd`` would execute foreign code).
Both answers live in ELF sections, so a tiny section-table parser suffices.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_ELF_MAGIC = b"\x7fELF"
_ELFCLASS64 = 2
_ELFDATA2LSB = 1
_SHT_DYNAMIC = 6
_DT_NULL = 0
_DT_NEEDED = 1


class ElfError(ValueError):
    """The file is not a little-endian ELF64 object we can read."""


@dataclass(frozen=True)
class _Section:
    name: str
    type: int
    offset: int
    size: int
    link: int


def _sections(data: bytes) -> list[_Section]:
    if data[:4] != _ELF_MAGIC or data[4] != _ELFCLASS64 or data[5] != _ELFDATA2LSB:
        raise ElfError("not a little-endian ELF64 file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    raw: list[tuple[int, int, int, int, int]] = []
    for index in range(shnum):
        base = shoff + index * shentsize
        name, stype, _flags, _addr, offset, size, link = struct.unpack_from("<IIQQQQI", data, base)
        raw.append((name, stype, offset, size, link))
    strtab_offset = raw[shstrndx][2]
    return [
        _Section(_cstring(data, strtab_offset + name), stype, offset, size, link)
        for name, stype, offset, size, link in raw
    ]


def _cstring(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode("utf-8", "replace")


def module_info(path: Path) -> dict[str, list[str]]:
    """Return the ``.modinfo`` key/value pairs of a kernel module (keys may repeat)."""
    data = path.read_bytes()
    info: dict[str, list[str]] = {}
    for section in _sections(data):
        if section.name != ".modinfo":
            continue
        blob = data[section.offset : section.offset + section.size]
        for entry in blob.split(b"\0"):
            key, sep, value = entry.decode("utf-8", "replace").partition("=")
            if sep:
                info.setdefault(key, []).append(value)
    return info


def module_depends(path: Path) -> list[str]:
    """Names of the modules that must be loaded before this one."""
    values = module_info(path).get("depends", [])
    return [name for value in values for name in value.split(",") if name]


def needed_libraries(path: Path) -> list[str]:
    """The DT_NEEDED sonames of a dynamically linked executable or library."""
    data = path.read_bytes()
    sections = _sections(data)
    needed: list[str] = []
    for section in sections:
        if section.type != _SHT_DYNAMIC:
            continue
        strtab = sections[section.link].offset
        for pos in range(section.offset, section.offset + section.size, 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == _DT_NULL:
                break
            if tag == _DT_NEEDED:
                needed.append(_cstring(data, strtab + value))
    return needed
