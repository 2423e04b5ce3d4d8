"""The file store: image data as files in one directory, written atomically.

Bytes go to a hidden temporary file next to their final place while being hashed;
``commit`` renames that file into place (atomic on one filesystem), so a reader never
sees a partial image. Disk work runs in threads, in 1 MiB batches, so neither the event
loop nor memory grow with the image size.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import IO

from nimbostack.image.stores.base import LimitExceeded, StagedData

CHUNK = 1024 * 1024
_SCHEME = "file://"


class _Sink:
    """A temp file plus running hashes; ``feed`` does one batch of blocking work."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[bytes] = open(path, "xb")  # noqa: SIM115 (closed in finish)
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha512 = hashlib.sha512()
        self.size = 0

    def feed(self, data: bytes) -> None:
        self.file.write(data)
        self.md5.update(data)
        self.sha512.update(data)
        self.size += len(data)

    def finish(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


class FileStore:
    """Stores each image's data as ``<directory>/<image id>``."""

    id = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    async def write(self, image_id: str, chunks: AsyncIterable[bytes], limit: int) -> StagedData:
        temp = self.directory / f".{image_id}.{uuid.uuid4().hex}.part"
        sink = await asyncio.to_thread(_Sink, temp)
        try:
            await _pump(chunks, sink, limit)
            await asyncio.to_thread(sink.finish)
        except BaseException:
            await asyncio.to_thread(_close_and_remove, sink)
            raise
        return StagedData(image_id, temp, sink.size, sink.md5.hexdigest(), sink.sha512.hexdigest())

    async def commit(self, staged: StagedData) -> str:
        await asyncio.to_thread(os.replace, staged.path, self.directory / staged.image_id)
        return self.location_of(staged.image_id)

    async def discard(self, staged: StagedData) -> None:
        await asyncio.to_thread(_unlink, staged.path)

    def location_of(self, image_id: str) -> str:
        return f"{_SCHEME}{self.directory / image_id}"

    def local_path(self, location: str) -> Path:
        if not location.startswith(_SCHEME):
            raise ValueError(f"not a file store location: {location}")
        path = Path(location[len(_SCHEME) :])
        # A location always names a file directly inside our directory.
        if path.parent != self.directory:
            raise ValueError(f"location outside the store: {location}")
        return path

    async def read(self, location: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        path = self.local_path(location)
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def delete(self, location: str) -> None:
        await asyncio.to_thread(_unlink, self.local_path(location))


async def _pump(chunks: AsyncIterable[bytes], sink: _Sink, limit: int) -> None:
    batch: list[bytes] = []
    pending = 0
    async for chunk in chunks:
        if not chunk:
            continue
        if sink.size + pending + len(chunk) > limit:
            raise LimitExceeded(limit)
        batch.append(chunk)
        pending += len(chunk)
        if pending >= CHUNK:
            await asyncio.to_thread(sink.feed, b"".join(batch))
            batch, pending = [], 0
    if batch:
        await asyncio.to_thread(sink.feed, b"".join(batch))


def _close_and_remove(sink: _Sink) -> None:
    with contextlib.suppress(OSError):
        sink.file.close()
    _unlink(sink.path)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
