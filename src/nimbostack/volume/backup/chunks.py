"""Chunks of a raw disk: where the data is (holes skipped), zero detection, compression.

A sparse file is walked by its data extents (SEEK_DATA/SEEK_HOLE), so a 10 GiB volume
holding 100 MiB costs reading 100 MiB; a chunk that reads all zeros is not stored at
all. All of it is blocking file and CPU work: callers run it in threads.
"""

from __future__ import annotations

import errno
import hashlib
import os
import zlib
from collections.abc import Iterator
from typing import Protocol

import zstandard


class Codec(Protocol):
    def compress(self, data: bytes) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


class _Plain:
    def compress(self, data: bytes) -> bytes:
        return data

    def decompress(self, data: bytes) -> bytes:
        return data


class _Zlib:
    def compress(self, data: bytes) -> bytes:
        return zlib.compress(data, 6)

    def decompress(self, data: bytes) -> bytes:
        return zlib.decompress(data)


class _Zstd:
    def compress(self, data: bytes) -> bytes:
        return zstandard.ZstdCompressor(level=3).compress(data)

    def decompress(self, data: bytes) -> bytes:
        return zstandard.ZstdDecompressor().decompress(data)


def codec(name: str) -> Codec:
    """The codec of ``[volume] backup_compression_algorithm`` (zstd, zlib or none)."""
    if name == "zstd":
        return _Zstd()
    if name == "zlib":
        return _Zlib()
    return _Plain()


def data_chunks(fd: int, size: int, chunk_size: int, sparse: bool) -> Iterator[int]:
    """Indexes of the chunks that may hold data, in order (all of them if not sparse)."""
    if not sparse:
        yield from range((size + chunk_size - 1) // chunk_size)
        return
    offset, last = 0, -1
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                return  # only a hole is left
            raise
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        for index in range(start // chunk_size, (end - 1) // chunk_size + 1):
            if index > last:
                yield index
                last = index
        offset = max(end, (last + 1) * chunk_size)


def read_chunk(fd: int, index: int, chunk_size: int, size: int) -> bytes:
    offset = index * chunk_size
    return os.pread(fd, min(chunk_size, size - offset), offset)


def is_zero(data: bytes) -> bool:
    return not data or (data[0] == 0 and data == bytes(len(data)))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
