"""Writer for gzip'd "newc" cpio archives, the format the kernel unpacks as initramfs.

Written in Python rather than piping to ``cpio -o`` so that ownership (always
root), timestamps (fixed, for reproducible output) and device nodes (a
``/dev/console`` is needed before devtmpfs is mounted) need no privileges.
"""

from __future__ import annotations

import gzip
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_MAGIC = b"070701"
_TRAILER = "TRAILER!!!"
# Fixed timestamp: the archive content then depends only on its inputs.
_MTIME = 0


@dataclass(frozen=True)
class DeviceNode:
    """A character device to create in the archive (e.g. /dev/console)."""

    path: str
    major: int
    minor: int
    mode: int = 0o600


class _Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Writer:
    def __init__(self, out: _Sink) -> None:
        self._out = out
        self._ino = 0
        self._written = 0

    def entry(
        self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)
    ) -> None:
        self._ino += 1
        nlink = 2 if stat.S_ISDIR(mode) else 1
        fields = (
            self._ino,
            mode,
            0,
            0,
            nlink,
            _MTIME,
            len(data),
            0,
            0,
            rdev[0],
            rdev[1],
            len(name) + 1,
            0,
        )
        header = _MAGIC + b"".join(b"%08X" % value for value in fields)
        self._write(header + name.encode() + b"\0")
        self._pad()
        self._write(data)
        self._pad()

    def trailer(self) -> None:
        self.entry(_TRAILER, 0)

    def _write(self, chunk: bytes) -> None:
        self._out.write(chunk)
        self._written += len(chunk)

    def _pad(self) -> None:
        self._write(b"\0" * (-self._written % 4))


def _walk(root: Path) -> list[Path]:
    # Sorted, parents before children: the kernel creates entries in order.
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        found.extend(base / name for name in sorted(dirnames + filenames))
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _add_path(writer: _Writer, root: Path, path: Path) -> None:
    name = path.relative_to(root).as_posix()
    info = path.lstat()
    perms = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        writer.entry(name, stat.S_IFLNK | 0o777, os.readlink(path).encode())
    elif stat.S_ISDIR(info.st_mode):
        writer.entry(name, stat.S_IFDIR | perms)
    elif stat.S_ISREG(info.st_mode):
        writer.entry(name, stat.S_IFREG | perms, path.read_bytes())
    else:
        raise ValueError(f"unsupported file type in initramfs staging: {path}")


def write_initramfs(root: Path, dest: Path, devices: tuple[DeviceNode, ...] = ()) -> Path:
    """Archive the tree under root (owned by root:root) plus device nodes into dest."""
    # filename="" and a fixed mtime keep the gzip header reproducible too.
    with (
        dest.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=_MTIME) as out,
    ):
        writer = _Writer(out)
        writer.entry(".", stat.S_IFDIR | 0o755)
        for path in _walk(root):
            _add_path(writer, root, path)
        for node in devices:
            writer.entry(
                node.path.lstrip("/"), stat.S_IFCHR | node.mode, rdev=(node.major, node.minor)
            )
        writer.trailer()
    return dest
