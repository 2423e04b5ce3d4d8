"""Turning a stream of bytes into an image's data: store, verify, then activate.

Every path (direct upload, glance-direct import, web-download import) goes through
``ingest``: the bytes are staged in the store under a byte limit (size cap and quota),
inspected (``verify``), and only then committed and recorded, with the status moving
from ``saving``/``importing`` to ``active`` in one conditional write. Every upload is
inspected whatever its container format: a container says nothing QEMU would honour,
so data that is not its declared disk_format, or that names a file outside itself (a
backing file, a data file, VMDK extents), is refused before anything can open it.
A client error (over quota, refused data) leaves the image ``queued`` so the client
can try again; a broken transfer leaves it ``killed``. Neither leaves data behind.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterable
from pathlib import Path

from nimbostack.core import diskimage
from nimbostack.core.errors import BadRequest, Gone
from nimbostack.image import quota
from nimbostack.image.db.models import Image
from nimbostack.image.objects import images
from nimbostack.image.state import ImageState
from nimbostack.image.stores.base import LimitExceeded, StagedData

LOG = logging.getLogger(__name__)


async def ingest(state: ImageState, image: Image, chunks: AsyncIterable[bytes], busy: str) -> None:
    """Store ``chunks`` as the data of ``image``, whose status is already ``busy``."""
    limit, is_quota = await quota.byte_limit(state, image.owner)
    try:
        staged = await state.store.write(image.id, chunks, limit)
    except LimitExceeded:
        await images.transition(state.db, image.id, (busy,), status="queued")
        raise quota.too_large(limit, is_quota) from None
    except BaseException:
        await _kill(state, image.id, busy)
        raise
    try:
        await _verify_and_commit(state, image, staged, busy)
    except BaseException:
        await state.store.discard(staged)
        raise


async def _verify_and_commit(
    state: ImageState, image: Image, staged: StagedData, busy: str
) -> None:
    try:
        found = await verify(state, image, staged.path)
    except BadRequest:
        await images.transition(state.db, image.id, (busy,), status="queued")
        raise
    location = await state.store.commit(staged)
    recorded = await images.transition(
        state.db, image.id, (busy,),
        status="active", size=staged.size, virtual_size=found.virtual_size,
        checksum=staged.md5, os_hash_algo="sha512", os_hash_value=staged.sha512,
        location=location,
    )  # fmt: skip
    if not recorded:
        # Deleted (or reset) while the bytes were arriving: drop what we wrote.
        with contextlib.suppress(OSError, ValueError):
            await state.store.delete(location)
        raise Gone(f"Image {image.id} was deleted or changed during the upload.")


async def verify(state: ImageState, image: Image, path: Path) -> diskimage.Inspection:
    """Inspect data written for ``image``; a refusal is a 400 that says why."""
    if not image.disk_format:
        raise BadRequest("Property disk_format must be set before image data is accepted.")
    try:
        return await diskimage.inspect(
            path, image.disk_format, timeout=float(state.conf.inspect_timeout)
        )
    except diskimage.FormatError as exc:
        raise BadRequest(str(exc)) from None


async def _kill(state: ImageState, image_id: str, busy: str) -> None:
    """A transfer broke (client gone, store failure): mark the image killed."""
    LOG.warning("image %s: upload failed, marking it killed", image_id)
    await images.transition(state.db, image_id, (busy,), status="killed")
