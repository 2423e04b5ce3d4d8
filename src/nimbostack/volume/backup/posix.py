"""The posix backup store: a directory per backup of compressed, checksummed chunks.

``<root>/<id[:2]>/<id>/`` holds ``chunk-<index>`` files and ``manifest.json``, written
last (and renamed into place), so a backup without a manifest is unfinished. The
manifest lists every chunk that holds data with its SHA-256 and the backup whose
directory stores it: a full backup stores all its chunks, an incremental one only
those that differ from its parent's and names the parent's for the rest. Chunks that
read as zeros are listed nowhere and cost nothing. Restores check every chunk's hash.

Work runs chunk by chunk in threads, so the event loop stays free and a cancelled
backup stops between chunks.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimbostack.volume.backends.base import RawView
from nimbostack.volume.backup import chunks

MANIFEST = "manifest.json"


class BackupCorrupt(Exception):
    """A stored chunk is missing or does not match its checksum."""


@dataclass
class Manifest:
    backup_id: str
    size: int
    chunk_size: int
    compression: str
    parent_id: str | None = None
    # index -> (sha256, id of the backup whose directory stores it)
    chunks: dict[int, tuple[str, str]] = field(default_factory=dict)
    stored: int = 0  # chunk files this backup wrote itself

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "backup_id": self.backup_id,
                "size": self.size,
                "chunk_size": self.chunk_size,
                "compression": self.compression,
                "parent_id": self.parent_id,
                "stored": self.stored,
                "chunks": [[i, sha, holder] for i, (sha, holder) in sorted(self.chunks.items())],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw: dict[str, Any] = json.loads(text)
        return cls(
            backup_id=raw["backup_id"],
            size=int(raw["size"]),
            chunk_size=int(raw["chunk_size"]),
            compression=str(raw["compression"]),
            parent_id=raw.get("parent_id"),
            chunks={int(i): (str(sha), str(holder)) for i, sha, holder in raw["chunks"]},
            stored=int(raw.get("stored", 0)),
        )


class PosixStore:
    """Backups under one directory (``[volume] backup_posix_path``)."""

    def __init__(self, root: Path, chunk_size: int, compression: str) -> None:
        self.root = root
        self.chunk_size = chunk_size
        self.compression = compression

    def container(self, backup_id: str) -> str:
        return f"{backup_id[:2]}/{backup_id}"

    def directory(self, backup_id: str) -> Path:
        return self.root / self.container(backup_id)

    async def manifest(self, backup_id: str) -> Manifest:
        path = self.directory(backup_id) / MANIFEST
        try:
            return Manifest.from_json(await asyncio.to_thread(path.read_text))
        except (OSError, ValueError, KeyError) as exc:
            raise BackupCorrupt(f"Backup {backup_id} has no readable manifest: {exc}") from None

    async def write(self, backup_id: str, view: RawView, parent: Manifest | None) -> Manifest:
        """Store the view's data as backup ``backup_id`` (incremental over ``parent``)."""
        directory = self.directory(backup_id)
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        chunk_size = parent.chunk_size if parent else self.chunk_size
        found = Manifest(
            backup_id, view.size, chunk_size, self.compression, parent.backup_id if parent else None
        )
        codec = chunks.codec(self.compression)
        fd = await asyncio.to_thread(os.open, view.path, os.O_RDONLY)
        try:
            indexes = await asyncio.to_thread(
                lambda: list(chunks.data_chunks(fd, view.size, chunk_size, view.sparse))
            )
            for index in indexes:
                await asyncio.to_thread(self._store_chunk, fd, index, found, parent, codec)
        finally:
            await asyncio.to_thread(os.close, fd)
        await asyncio.to_thread(_write_atomic, directory / MANIFEST, found.to_json())
        return found

    def _store_chunk(
        self, fd: int, index: int, found: Manifest, parent: Manifest | None, codec: chunks.Codec
    ) -> None:
        data = chunks.read_chunk(fd, index, found.chunk_size, found.size)
        if chunks.is_zero(data):
            return
        sha = chunks.digest(data)
        known = parent.chunks.get(index) if parent else None
        if known is not None and known[0] == sha:
            found.chunks[index] = known  # unchanged since the parent: stored there
            return
        _write_atomic_bytes(
            self.directory(found.backup_id) / f"chunk-{index}", codec.compress(data)
        )
        found.chunks[index] = (sha, found.backup_id)
        found.stored += 1

    async def restore(self, backup_id: str, view: RawView) -> None:
        """Write the backup's data into the view (which reads as zeros where not written)."""
        manifest = await self.manifest(backup_id)
        if manifest.size > view.size:
            raise BackupCorrupt(
                f"Backup {backup_id} holds {manifest.size} bytes; the volume has {view.size}."
            )
        codec = chunks.codec(manifest.compression)
        fd = await asyncio.to_thread(os.open, view.path, os.O_WRONLY)
        try:
            for entry in sorted(manifest.chunks.items()):
                await asyncio.to_thread(self._restore_chunk, fd, entry, manifest, codec)
            await asyncio.to_thread(os.fsync, fd)
        finally:
            await asyncio.to_thread(os.close, fd)

    def _restore_chunk(
        self, fd: int, entry: tuple[int, tuple[str, str]], manifest: Manifest, codec: chunks.Codec
    ) -> None:
        index, (sha, holder) = entry
        path = self.directory(holder) / f"chunk-{index}"
        try:
            data = codec.decompress(path.read_bytes())
        except Exception as exc:  # a missing file, or the codec's own error type
            raise BackupCorrupt(f"Chunk {index} of backup {manifest.backup_id}: {exc}") from None
        if chunks.digest(data) != sha:
            raise BackupCorrupt(f"Chunk {index} of backup {manifest.backup_id} is corrupt.")
        os.pwrite(fd, data, index * manifest.chunk_size)

    async def delete(self, backup_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.directory(backup_id), True)


def _write_atomic(path: Path, text: str) -> None:
    _write_atomic_bytes(path, text.encode())


def _write_atomic_bytes(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
