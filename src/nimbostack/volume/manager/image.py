"""Images into volumes (with a per-backend image cache) and volumes into images.

An image's data is downloaded with the user's token, its hash checked against the image
record, and then inspected (core.diskimage) before any QEMU tool reads it: data that is
not its disk_format, or that names other files (a qcow2 backing file, a data file,
VMDK extents), never becomes a volume. Converted once per backend, an image stays in
the cache as a volume of the backend's own; later volumes are copies of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError

from nimbostack.core import diskimage
from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.backends.base import GiB, VolumeRef
from nimbostack.volume.db.models import ImageCacheEntry, Volume
from nimbostack.volume.image_meta import image_metadata
from nimbostack.volume.manager.host import BackendHost, volume_ref
from nimbostack.volume.messages import VolumeSpec
from nimbostack.volume.objects import image_cache, keyvalues, volumes

LOG = logging.getLogger(__name__)


class ImageRefused(Exception):
    """The image cannot become this volume; the text is for the user."""

    def __init__(self, text: str, detail: str) -> None:
        super().__init__(text)
        self.text = text
        self.detail = detail


async def create_from_image(
    h: BackendHost, ctxt: RequestContext, spec: VolumeSpec, volume: Volume
) -> str | None:
    """The volume's data from the image; its provider_location (ImageRefused: why not)."""
    image_id = spec.source_id or ""
    record = await _record(h, ctxt, image_id)
    async with h.locked(f"image:{image_id}"):
        location = await _from_cache_or_image(h, ctxt, record, volume)
    async with h.state.db.session() as s:
        await keyvalues.replace(s, keyvalues.IMAGE_METADATA, volume.id, image_metadata(record))
    return location


async def _record(h: BackendHost, ctxt: RequestContext, image_id: str) -> dict[str, Any]:
    client = await h.state.user_images(ctxt)
    try:
        record = await client.get(image_id)
    except httpx.HTTPError as exc:
        raise ImageRefused(f"The image service failed: {exc}", "unknown") from None
    if record is None or record.get("status") != "active":
        raise ImageRefused(f"Image {image_id} is not available.", "image_unacceptable")
    return record


async def _from_cache_or_image(
    h: BackendHost, ctxt: RequestContext, record: dict[str, Any], volume: Volume
) -> str | None:
    ref = volume_ref(volume)
    if not h.options.image_volume_cache_enabled:
        async with _downloaded(h, ctxt, record, volume) as (path, fmt, _size):
            return await h.backend.import_image(ref, path, fmt)
    entry = await _cached(h, record)
    if entry is None:
        entry = await _fill_cache(h, ctxt, record, volume)
    if entry.size > volume.size:
        raise ImageRefused(_too_big(entry.size * GiB, volume.size), "image_too_big")
    async with h.state.db.session() as s:
        await image_cache.touch(s, entry.id)
    source = VolumeRef(entry.id, entry.size, entry.provider_location)
    return await h.backend.clone(source, ref, in_use=False)


def _too_big(virtual: int, size_gb: int) -> str:
    return (
        f"Image virtual size is {math.ceil(virtual / GiB)}GB and doesn't fit in a volume "
        f"of size {size_gb}GB."
    )


async def _cached(h: BackendHost, record: dict[str, Any]) -> ImageCacheEntry | None:
    """A cache entry of this very image version, dropping one of an older version."""
    async with h.state.db.reader() as s:
        entry = await image_cache.find(s, h.name, str(record["id"]))
    if entry is None or entry.image_updated_at == str(record.get("updated_at")):
        return entry
    await _evict(h, entry)
    return None


async def _fill_cache(
    h: BackendHost, ctxt: RequestContext, record: dict[str, Any], volume: Volume
) -> ImageCacheEntry:
    async with _downloaded(h, ctxt, record, volume) as (path, fmt, virtual):
        size = max(1, math.ceil(virtual / GiB))
        entry = ImageCacheEntry(
            id=str(uuid.uuid4()),
            host=h.name,
            image_id=str(record["id"]),
            image_updated_at=str(record.get("updated_at")),
            size=size,
            created_at=time.time(),
            last_used=time.time(),
        )
        entry.provider_location = await h.backend.import_image(VolumeRef(entry.id, size), path, fmt)
    try:
        async with h.state.db.session() as s:
            s.add(entry)
    except IntegrityError:  # another manager process filled it first
        await h.backend.delete(VolumeRef(entry.id, size, entry.provider_location))
        found = await _cached(h, record)
        assert found is not None
        return found
    await _trim(h)
    return entry


async def _evict(h: BackendHost, entry: ImageCacheEntry) -> None:
    async with h.state.db.session() as s:
        await image_cache.remove(s, entry.id)
    await h.backend.delete(VolumeRef(entry.id, entry.size, entry.provider_location))


async def _trim(h: BackendHost) -> None:
    """Keep at most image_volume_cache_max_count entries, dropping the least used."""
    limit = int(h.options.image_volume_cache_max_count)
    if not limit:
        return
    async with h.state.db.reader() as s:
        entries = await image_cache.of_host(s, h.name)
    for entry in entries[limit:]:
        await _evict(h, entry)


@contextlib.asynccontextmanager
async def _downloaded(
    h: BackendHost, ctxt: RequestContext, record: dict[str, Any], volume: Volume
) -> AsyncIterator[tuple[Path, str, int]]:
    """The image's verified data in a scratch file: (path, qemu format, virtual size)."""
    async with h.state.db.session() as s:
        await volumes.transition(s, volume.id, [states.CREATING], {"status": states.DOWNLOADING})
    workdir = h.workdir
    path = workdir / f"{record['id']}.{uuid.uuid4().hex[:8]}"
    try:
        await _download(h, ctxt, record, path, volume.size)
        try:
            found = await diskimage.inspect(path, str(record.get("disk_format") or "raw"))
        except diskimage.FormatError as exc:
            raise ImageRefused(str(exc), "image_unacceptable") from None
        if found.virtual_size > volume.size * GiB:
            raise ImageRefused(_too_big(found.virtual_size, volume.size), "image_too_big")
        yield path, "raw" if found.format == "iso" else found.format, found.virtual_size
    finally:
        await asyncio.to_thread(path.unlink, True)


async def _download(
    h: BackendHost, ctxt: RequestContext, record: dict[str, Any], path: Path, size_gb: int
) -> None:
    client = await h.state.user_images(ctxt)
    limit = size_gb * GiB + 64 * 1024 * 1024  # no image may fill the disk
    try:
        await asyncio.wait_for(
            client.download(str(record["id"]), path, max_bytes=limit),
            float(h.options.image_conversion_timeout),
        )
    except ValueError:
        raise ImageRefused(_too_big(limit, size_gb), "image_too_big") from None
    except (httpx.HTTPError, TimeoutError) as exc:
        raise ImageRefused(f"The image could not be downloaded: {exc}", "unknown") from None
    if not await asyncio.to_thread(_hash_matches, path, record):
        raise ImageRefused("The image data does not match its checksum.", "image_unacceptable")


def _hash_matches(path: Path, record: dict[str, Any]) -> bool:
    algo, expected = record.get("os_hash_algo"), record.get("os_hash_value")
    if not (algo and expected and algo in hashlib.algorithms_available):
        algo, expected = "md5", record.get("checksum")
    if not expected:
        return True  # nothing to check against (an image without data hashes)
    digest = hashlib.new(str(algo))
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return bool(digest.hexdigest() == expected)
