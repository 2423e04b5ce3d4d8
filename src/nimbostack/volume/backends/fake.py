"""The fake backend: volumes that exist only as sizes in memory (tests, scale runs).

It answers every backend call at once and stores no data: its raw views are empty
sparse files, so backups of fake volumes hold nothing. ``fail`` names operations
that raise BackendError, for tests of failure paths.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from nimbostack.volume.backends.base import (
    Backend,
    BackendError,
    Capacity,
    ConnectionInfo,
    ExtendOutcome,
    GiB,
    RawView,
    SnapshotRef,
    VolumeRef,
)
from nimbostack.volume.options import BackendOptions

DEFAULT_TOTAL_GB = 1000


class FakeBackend(Backend):
    driver = "fake"

    def __init__(self, options: BackendOptions, host: str) -> None:
        super().__init__(options, host)
        self.volumes: dict[str, int] = {}
        self.snapshots: dict[str, int] = {}
        self.open_exports: set[str] = set()
        self.fail: set[str] = set()

    def _check(self, operation: str) -> None:
        if operation in self.fail:
            raise BackendError(f"Fake backend {self.name} was told to fail {operation}.")

    async def capacity(self) -> Capacity:
        total = float(self.options.total_capacity_gb or DEFAULT_TOTAL_GB)
        used = sum(self.volumes.values()) + sum(self.snapshots.values())
        return Capacity(total_gb=total, free_gb=max(0.0, total - used), thin=True, thick=True)

    async def create(self, volume: VolumeRef) -> str:
        self._check("create")
        self.volumes[volume.id] = volume.size_gb
        return f"fake:{volume.id}"

    async def delete(self, volume: VolumeRef) -> None:
        self._check("delete")
        self.volumes.pop(volume.id, None)

    async def extend(self, volume: VolumeRef, new_size_gb: int, *, attached: bool) -> ExtendOutcome:
        self._check("extend")
        self.volumes[volume.id] = new_size_gb
        return ExtendOutcome.DONE

    async def clone(self, source: VolumeRef, volume: VolumeRef, *, in_use: bool = True) -> str:
        self._check("clone")
        if source.id not in self.volumes:
            raise BackendError(f"Fake volume {source.id} does not exist.")
        return await self.create(volume)

    async def import_image(self, volume: VolumeRef, image: Path, image_format: str) -> str:
        self._check("import_image")
        return await self.create(volume)

    async def export_image(self, volume: VolumeRef, target: Path, disk_format: str) -> None:
        self._check("export_image")
        await asyncio.to_thread(_sparse, target, volume.size_gb * GiB)

    @asynccontextmanager
    async def raw_reader(self, volume: VolumeRef) -> AsyncIterator[RawView]:
        self._check("raw_reader")
        async with _scratch(volume.size_gb * GiB) as view:
            yield view

    @asynccontextmanager
    async def raw_writer(self, volume: VolumeRef) -> AsyncIterator[RawView]:
        self._check("raw_writer")
        async with _scratch(volume.size_gb * GiB) as view:
            yield view

    async def copy_to(self, volume: VolumeRef, target: ConnectionInfo) -> None:
        self._check("copy_to")

    async def volume_ids(self) -> set[str]:
        return set(self.volumes)

    async def create_snapshot(self, snapshot: SnapshotRef) -> str:
        self._check("create_snapshot")
        self.snapshots[snapshot.id] = snapshot.volume.size_gb
        return f"fake:{snapshot.id}"

    async def delete_snapshot(self, snapshot: SnapshotRef) -> None:
        self._check("delete_snapshot")
        self.snapshots.pop(snapshot.id, None)

    async def create_from_snapshot(self, snapshot: SnapshotRef, volume: VolumeRef) -> str:
        self._check("create_from_snapshot")
        return await self.create(volume)

    async def export(
        self, volume: VolumeRef, attachment_id: str, connector: dict[str, Any]
    ) -> ConnectionInfo:
        self._check("export")
        self.open_exports.add(attachment_id)
        return ConnectionInfo("fake", {"volume_id": volume.id, "host": self.host})

    async def unexport(self, volume: VolumeRef, attachment_id: str) -> None:
        self._check("unexport")
        self.open_exports.discard(attachment_id)

    async def exports(self) -> set[str]:
        return set(self.open_exports)


@asynccontextmanager
async def _scratch(size: int) -> AsyncIterator[RawView]:
    handle, name = await asyncio.to_thread(tempfile.mkstemp, prefix="nimbo-fake-volume-")
    os.close(handle)
    path = Path(name)
    try:
        await asyncio.to_thread(os.truncate, path, size)
        yield RawView(path, size, sparse=True)
    finally:
        await asyncio.to_thread(path.unlink, True)


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)
