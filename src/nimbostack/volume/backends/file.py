"""The file backend: each volume and snapshot is one qcow2 or sparse raw file in a directory.

Layout under ``volumes_dir``: ``volume-<id>``, ``snapshot-<id>``, and ``_tmp/`` for
work in progress. A file appears under its final name only when complete (written
under ``_tmp`` and renamed), so a crash leaves no half-made volume behind a name.
``provider_location`` is ``<format>:<file name>``, so files keep their format when
the backend's ``volume_format`` changes later.

Every file is self-contained: snapshots and clones are copies (sparse, O(used);
shared blocks where the filesystem reflinks), never qcow2 overlays on another file,
so a host attaching a volume by path never follows a backing file. Volumes are thin
(qcow2 allocates on write; raw files are sparse). A host on this machine attaches a
volume by its path (``driver_volume_type: file``); another host gets a network export
of the attachment (``driver_volume_type: nbd``, see nbd.py), kept under ``_exports/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from nimbostack.volume.backends import nbd, tools
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
from nimbostack.volume.backends.nbd import NbdExports
from nimbostack.volume.options import BackendOptions


class FileBackend(Backend):
    driver = "file"

    def __init__(self, options: BackendOptions, host: str) -> None:
        super().__init__(options, host)
        self.nbd = NbdExports(self.root / "_exports", options.export_address)

    @property
    def root(self) -> Path:
        return self.options.volumes_dir

    @property
    def fmt(self) -> str:
        return self.options.volume_format

    async def start(self) -> None:
        await asyncio.to_thread(self._prepare_dirs)
        await self.nbd.restore()

    def _prepare_dirs(self) -> None:
        (self.root / "_tmp").mkdir(parents=True, exist_ok=True)
        for leftover in (self.root / "_tmp").iterdir():
            leftover.unlink(missing_ok=True)  # work a crash interrupted

    # -- locations --------------------------------------------------------------------
    def _locate(self, location: str | None, default_name: str) -> tuple[Path, str]:
        """The file and format a provider_location names."""
        if not location:
            return self.root / default_name, self.fmt
        fmt, _, name = location.partition(":")
        if not name or "/" in name or fmt not in ("qcow2", "raw"):
            raise BackendError(f"Unknown volume location {location!r}.")
        return self.root / name, fmt

    def volume_file(self, volume: VolumeRef) -> tuple[Path, str]:
        return self._locate(volume.provider_location, f"volume-{volume.id}")

    def _snapshot_file(self, snapshot: SnapshotRef) -> tuple[Path, str]:
        return self._locate(snapshot.provider_location, f"snapshot-{snapshot.id}")

    def _scratch(self, name: str) -> Path:
        return self.root / "_tmp" / f"{name}.{uuid.uuid4().hex[:8]}"

    @asynccontextmanager
    async def _building(self, final: Path) -> AsyncIterator[Path]:
        """A scratch path that becomes ``final`` if the block succeeds, else vanishes."""
        scratch = self._scratch(final.name)
        try:
            yield scratch
            await asyncio.to_thread(_publish, scratch, final)
        finally:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(scratch.unlink, True)

    # -- capacity ---------------------------------------------------------------------
    async def capacity(self) -> Capacity:
        stat = await asyncio.to_thread(os.statvfs, self.root)
        total = stat.f_blocks * stat.f_frsize / GiB
        free = stat.f_bavail * stat.f_frsize / GiB
        cap = self.options.total_capacity_gb
        if cap:
            free = max(0.0, free - max(0.0, total - cap))
            total = float(cap)
        return Capacity(total_gb=round(total, 2), free_gb=round(free, 2), thin=True, thick=False)

    # -- volumes ----------------------------------------------------------------------
    async def create(self, volume: VolumeRef) -> str:
        final = self.root / f"volume-{volume.id}"
        if self.fmt == "raw":
            # One trip to a thread: an empty volume is the hot path of a busy cloud.
            scratch = self._scratch(final.name)
            await asyncio.to_thread(_new_sparse_volume, scratch, final, volume.size_gb * GiB)
            return f"raw:{final.name}"
        async with self._building(final) as scratch:
            await self._create_file(scratch, self.fmt, volume.size_gb * GiB)
        return f"{self.fmt}:{final.name}"

    async def _create_file(self, path: Path, fmt: str, size: int) -> None:
        if fmt == "raw":
            await asyncio.to_thread(_sparse_file, path, size)
        else:
            await tools.create(path, fmt, size)

    async def delete(self, volume: VolumeRef) -> None:
        path, _fmt = self.volume_file(volume)
        await asyncio.to_thread(path.unlink, True)

    async def extend(self, volume: VolumeRef, new_size_gb: int, *, attached: bool) -> ExtendOutcome:
        path, fmt = self.volume_file(volume)
        if attached and await self._exported(volume.id):
            # An NBD client learns the size once, when it connects: the guest would not
            # see the new size (and a qcow2 file is held by the export's daemon).
            raise BackendError(
                f"Volume {volume.id} is attached over the network; detach it to extend it."
            )
        if fmt == "raw":
            # A raw file grows under an open QEMU too; the guest sees it once the
            # host resizes its block node (the volume-extended event).
            await asyncio.to_thread(os.truncate, path, new_size_gb * GiB)
            return ExtendOutcome.DONE
        if attached:
            return ExtendOutcome.NEEDS_HOST  # QEMU holds the qcow2 file's write lock
        await tools.resize(path, fmt, new_size_gb * GiB)
        return ExtendOutcome.DONE

    async def copy_to(self, volume: VolumeRef, target: ConnectionInfo) -> None:
        path, fmt = self.volume_file(volume)
        if target.driver_volume_type == "nbd":
            key_dir = self._scratch("nbd-client")
            await asyncio.to_thread(key_dir.mkdir, 0o700)
            try:
                args = await asyncio.to_thread(nbd.client_args, target.data, key_dir)
                await tools.convert_into(path, fmt, args)
            finally:
                await asyncio.to_thread(shutil.rmtree, key_dir, True)
            return
        if target.driver_volume_type != "file":
            raise BackendError(
                f"Backend {self.name} cannot copy into a {target.driver_volume_type} export."
            )
        destination = Path(str(target.data["path"]))
        await tools.convert(
            path, fmt, destination, str(target.data["format"]), shared=True, existing=True
        )

    async def virtual_size(self, volume: VolumeRef) -> int:
        path, fmt = self.volume_file(volume)
        if fmt == "raw":
            return (await asyncio.to_thread(path.stat)).st_size
        return int((await tools.info(path, fmt))["virtual-size"])

    async def clone(self, source: VolumeRef, volume: VolumeRef, *, in_use: bool = True) -> str:
        path, fmt = self.volume_file(source)
        return await self._copy_into(path, fmt, volume, live=in_use)

    async def _copy_into(self, source: Path, fmt: str, volume: VolumeRef, *, live: bool) -> str:
        """A new volume file with the data of ``source``, grown to the volume's size.

        ``live``: the source may be open in QEMU (a volume, not a snapshot), so a qcow2
        is read through qemu-img, which parses its metadata as it is now.
        """
        final = self.root / f"volume-{volume.id}"
        async with self._building(final) as scratch:
            if live and fmt == "qcow2":
                await tools.convert(source, fmt, scratch, fmt, shared=True)
            else:
                await tools.copy_file(source, scratch)
            await self._grow(scratch, fmt, volume.size_gb * GiB)
        return f"{fmt}:{final.name}"

    async def _grow(self, path: Path, fmt: str, size: int) -> None:
        current = (
            (await asyncio.to_thread(path.stat)).st_size
            if fmt == "raw"
            else int((await tools.info(path, fmt))["virtual-size"])
        )
        if current > size:
            raise BackendError(
                f"The source holds {current} bytes, more than the volume's {size} bytes."
            )
        if current < size:
            if fmt == "raw":
                await asyncio.to_thread(os.truncate, path, size)
            else:
                await tools.resize(path, fmt, size)

    async def import_image(self, volume: VolumeRef, image: Path, image_format: str) -> str:
        final = self.root / f"volume-{volume.id}"
        async with self._building(final) as scratch:
            await tools.convert(image, image_format, scratch, self.fmt)
            await self._grow(scratch, self.fmt, volume.size_gb * GiB)
        return f"{self.fmt}:{final.name}"

    async def export_image(self, volume: VolumeRef, target: Path, disk_format: str) -> None:
        path, fmt = self.volume_file(volume)
        qemu_fmt = tools.QEMU_FORMATS.get(disk_format)
        if qemu_fmt is None:
            raise BackendError(f"Disk format {disk_format} cannot be written.")
        await tools.convert(path, fmt, target, qemu_fmt, shared=True)

    @asynccontextmanager
    async def raw_reader(self, volume: VolumeRef) -> AsyncIterator[RawView]:
        path, fmt = self.volume_file(volume)
        if fmt == "raw":
            yield RawView(path, (await asyncio.to_thread(path.stat)).st_size, sparse=True)
            return
        scratch = self._scratch(path.name + ".raw")
        try:
            # Unallocated and zero clusters become holes: the cost follows the data.
            await tools.convert(path, fmt, scratch, "raw", shared=True)
            yield RawView(scratch, (await asyncio.to_thread(scratch.stat)).st_size, sparse=True)
        finally:
            await asyncio.to_thread(scratch.unlink, True)

    @asynccontextmanager
    async def raw_writer(self, volume: VolumeRef) -> AsyncIterator[RawView]:
        path, fmt = self.volume_file(volume)
        size = volume.size_gb * GiB
        scratch = self._scratch(path.name + ".raw")
        try:
            await asyncio.to_thread(_sparse_file, scratch, size)
            yield RawView(scratch, size, sparse=True)
            if fmt == "raw":
                await asyncio.to_thread(os.replace, scratch, path)
            else:
                async with self._building(path) as converted:
                    await tools.convert(scratch, "raw", converted, fmt)
        finally:
            await asyncio.to_thread(scratch.unlink, True)

    async def volume_ids(self) -> set[str]:
        names = await asyncio.to_thread(os.listdir, self.root)
        return {n.removeprefix("volume-") for n in names if n.startswith("volume-")}

    # -- snapshots --------------------------------------------------------------------
    async def create_snapshot(self, snapshot: SnapshotRef) -> str:
        source, fmt = self.volume_file(snapshot.volume)
        final = self.root / f"snapshot-{snapshot.id}"
        async with self._building(final) as scratch:
            if fmt == "qcow2":
                await tools.convert(source, fmt, scratch, fmt, shared=True)
            else:
                await tools.copy_file(source, scratch)
        return f"{fmt}:{final.name}"

    async def delete_snapshot(self, snapshot: SnapshotRef) -> None:
        path, _fmt = self._snapshot_file(snapshot)
        await asyncio.to_thread(path.unlink, True)

    async def create_from_snapshot(self, snapshot: SnapshotRef, volume: VolumeRef) -> str:
        path, fmt = self._snapshot_file(snapshot)
        return await self._copy_into(path, fmt, volume, live=False)

    # -- exports ----------------------------------------------------------------------
    async def export(
        self, volume: VolumeRef, attachment_id: str, connector: dict[str, Any]
    ) -> ConnectionInfo:
        path, fmt = self.volume_file(volume)
        if self.is_local(connector):
            return ConnectionInfo("file", {"path": str(path), "format": fmt})
        export = await self.nbd.open(
            attachment_id, volume.id, path, fmt, read_only=connector.get("mode") == "ro"
        )
        return ConnectionInfo("nbd", export.connection())

    async def unexport(self, volume: VolumeRef, attachment_id: str) -> None:
        await self.nbd.close(attachment_id)

    async def exports(self) -> set[str]:
        return {e.attachment_id for e in await asyncio.to_thread(self.nbd.recorded)}

    async def _exported(self, volume_id: str) -> bool:
        found = await asyncio.to_thread(self.nbd.recorded)
        return any(e.volume_id == volume_id for e in found)


def _publish(scratch: Path, final: Path) -> None:
    """Give a finished file its final name; volumes are readable by this service alone."""
    os.chmod(scratch, 0o600)
    os.replace(scratch, final)


def _new_sparse_volume(scratch: Path, final: Path, size: int) -> None:
    try:
        _sparse_file(scratch, size)
        _publish(scratch, final)
    finally:
        scratch.unlink(missing_ok=True)


def _sparse_file(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, size)
    finally:
        os.close(fd)
