"""The store interface: stage a stream of bytes, commit it under a location, read, delete.

Writing happens in two steps so that the service can inspect the data (format, size,
quota) before it becomes an image's data: ``write`` stages the bytes and computes their
size and hashes, then ``commit`` makes them durable under a location, or ``discard``
drops them. Nothing a failed upload wrote is ever left behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class LimitExceeded(Exception):
    """The stream grew past the byte limit the caller allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"data exceeds {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StagedData:
    """Bytes written but not yet committed: a local file with its size and hashes."""

    image_id: str
    path: Path
    size: int
    md5: str
    sha512: str


class Store(Protocol):
    """What the image service needs from a backend."""

    id: str

    async def write(
        self, image_id: str, chunks: AsyncIterable[bytes], limit: int
    ) -> StagedData: ...

    async def commit(self, staged: StagedData) -> str:
        """Make staged data durable; returns its location URL."""
        ...

    async def discard(self, staged: StagedData) -> None: ...

    def read(self, location: str, chunk_size: int = ...) -> AsyncIterator[bytes]: ...

    async def delete(self, location: str) -> None: ...

    def local_path(self, location: str) -> Path: ...
