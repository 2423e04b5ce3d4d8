"""The per-host base-image cache: each image fetched once, verified, shared read-only.

Files live in ``<instances_path>/_base/<image id>``. A download goes to a temporary
name and is renamed only once its hash matches the image record (``os_hash_value``
with ``os_hash_algo``, else the md5 ``checksum``) and it passed inspection
(core.diskimage: really its declared disk_format, and naming no file outside
itself), so a half-written, corrupt or dangerous file is never cached, whatever
the image service let through. Images with ``kernel_id`` / ``ramdisk_id`` bring those
along for direct kernel boot. `prune` deletes images no guest uses that sat idle
``max_idle`` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.headers import trace_headers
from nimbostack.compute.agent.drivers.base import DriverError, ImageFiles, ImageRefused
from nimbostack.core import diskimage

LOG = logging.getLogger(__name__)
CHUNK = 1024 * 1024
# (image id) -> (image endpoint base URL, headers): who may read it, as whom.
Access = Callable[[], Awaitable[tuple[str, dict[str, str]]]]


class ImageCache:
    def __init__(
        self,
        base_dir: Path,
        max_idle: float,
        client: httpx.AsyncClient | None = None,
        *,
        qemu_img: str = "qemu-img",
    ):
        self.base_dir = base_dir
        self.max_idle = max_idle
        self.client = client or httpx.AsyncClient(timeout=600, verify=tls.context())
        self.qemu_img = qemu_img
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def path(self, image_id: str) -> Path:
        return self.base_dir / image_id

    async def fetch(self, image_id: str, access: Access) -> ImageFiles:
        """The image (and its kernel and ramdisk) as local files, downloading what is missing."""
        base, headers = await access()
        # The downloads are hops of the boot's trace, under agent.image_cache.
        headers = {**headers, **trace_headers()}
        record = await self._record(base, headers, image_id)
        props = {k: v for k, v in record.items() if k not in _CORE_FIELDS}
        path = await self._file(base, headers, record)
        kernel = ramdisk = None
        if props.get("kernel_id"):
            kernel = await self._file(
                base, headers, await self._record(base, headers, str(props["kernel_id"]))
            )
        if props.get("ramdisk_id"):
            ramdisk = await self._file(
                base, headers, await self._record(base, headers, str(props["ramdisk_id"]))
            )
        return ImageFiles(
            image_id=image_id,
            disk_format=str(record.get("disk_format") or "raw"),
            path=path,
            kernel=kernel,
            ramdisk=ramdisk,
            properties=props,
        )

    async def fetch_boot_files(
        self, image_id: str, props: dict[str, Any], access: Access
    ) -> ImageFiles:
        """A volume-backed guest's kernel and ramdisk, as its root volume's image
        properties name them; no disk image (the root disk is the volume)."""
        base, headers = await access()
        headers = {**headers, **trace_headers()}
        files: dict[str, Path | None] = {"kernel_id": None, "ramdisk_id": None}
        for key in files:
            if props.get(key):
                record = await self._record(base, headers, str(props[key]))
                files[key] = await self._file(base, headers, record)
        return ImageFiles(
            image_id=image_id,
            disk_format="raw",
            kernel=files["kernel_id"],
            ramdisk=files["ramdisk_id"],
            properties=dict(props),
        )

    async def _record(self, base: str, headers: dict[str, str], image_id: str) -> dict[str, Any]:
        resp = await self.client.get(f"{base}/v2/images/{image_id}", headers=headers)
        if resp.status_code != 200:
            raise DriverError(f"Image {image_id} could not be found (HTTP {resp.status_code}).")
        record: dict[str, Any] = resp.json()
        if record.get("status") != "active":
            raise DriverError(f"Image {image_id} is not active (status {record.get('status')}).")
        return record

    async def _file(self, base: str, headers: dict[str, str], record: dict[str, Any]) -> Path:
        image_id = str(record["id"])
        target = self.path(image_id)
        async with self._locks[image_id]:
            if not target.exists():
                await self._download(base, headers, record, target)
            os.utime(target)  # the idle clock restarts at each use
        return target

    async def _download(
        self, base: str, headers: dict[str, str], record: dict[str, Any], target: Path
    ) -> None:
        image_id = str(record["id"])
        algo = str(record.get("os_hash_algo") or "")
        expected = record.get("os_hash_value") if algo else record.get("checksum")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{image_id}.part")
        url = f"{base}/v2/images/{image_id}/file"
        try:
            digest = await self._receive(url, headers, image_id, partial, algo or "md5")
            if expected and digest != expected:
                raise DriverError(f"Image {image_id} failed verification: its hash does not match.")
            await self._inspect(image_id, str(record.get("disk_format") or "raw"), partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        size = await asyncio.to_thread(_seal, partial, target)
        LOG.info("cached image %s (%d bytes)", image_id, size)

    async def _receive(
        self, url: str, headers: dict[str, str], image_id: str, partial: Path, algo: str
    ) -> str:
        """Stream the image data into ``partial``; returns its hex digest under ``algo``."""
        digest = hashlib.new(algo)
        async with self.client.stream("GET", url, headers=headers) as resp:
            if resp.status_code != 200:
                raise DriverError(
                    f"Image {image_id} data is not available (HTTP {resp.status_code})."
                )
            handle = await asyncio.to_thread(partial.open, "wb")
            try:
                async for chunk in resp.aiter_bytes(CHUNK):
                    digest.update(chunk)
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
        return digest.hexdigest()

    async def _inspect(self, image_id: str, disk_format: str, path: Path) -> None:
        try:
            await diskimage.inspect(path, disk_format, qemu_img=self.qemu_img)
        except diskimage.FormatError as exc:
            LOG.warning("image %s refused on this host: %s", image_id, exc)
            raise ImageRefused(f"Image {image_id} is refused by this host: {exc}") from None

    def prune(self, in_use: set[str], now: float | None = None) -> list[str]:
        """Delete cached images unused by any guest and idle longer than max_idle."""
        removed: list[str] = []
        if not self.base_dir.exists():
            return removed
        now = now or time.time()
        for path in self.base_dir.iterdir():
            if path.name.startswith(".") or path.name in in_use:
                continue
            if now - path.stat().st_mtime >= self.max_idle:
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed

    async def close(self) -> None:
        await self.client.aclose()


def _seal(partial: Path, target: Path) -> int:
    """Make the verified download read-only and give it its final name."""
    partial.chmod(0o444)
    partial.rename(target)
    return target.stat().st_size


_CORE_FIELDS = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "min_ram",
    "min_disk",
    "disk_format",
    "container_format",
    "created_at",
    "updated_at",
    "tags",
    "owner",
    "self",
    "file",
    "schema",
    "locations",
    "direct_url",
    "os_hidden",
}
