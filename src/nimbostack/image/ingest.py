"""Turning a stream of bytes into an image's data: store, verify, then activate.

Every path (direct upload, glance-direct import, web-download import) goes through
``ingest``: the bytes are staged in the store under a byte limit (size cap and quota),
checked against the declared disk format, and only then committed and recorded, with
the status moving from ``saving``/``importing`` to ``active`` in one conditional write.
A client error (over quota, wrong format) leaves the image ``queued`` so the client can
try again; a broken transfer leaves it ``killed``. Neither leaves data behind.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterable

from nimbostack.core.errors import BadRequest, Gone
from nimbostack.image import formats, quota
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
    virtual_size = staged.size
    if image.container_format in (None, "bare") and image.disk_format:
        try:
            found = await formats.inspect(
                staged.path, image.disk_format, float(state.conf.inspect_timeout)
            )
        except formats.FormatError as exc:
            await images.transition(state.db, image.id, (busy,), status="queued")
            raise BadRequest(str(exc)) from None
        # qemu-img rounds raw sizes up to a sector; raw data is exactly its own size.
        if found.format not in ("raw", "iso"):
            virtual_size = found.virtual_size
    location = await state.store.commit(staged)
    recorded = await images.transition(
        state.db, image.id, (busy,),
        status="active", size=staged.size, virtual_size=virtual_size,
        checksum=staged.md5, os_hash_algo="sha512", os_hash_value=staged.sha512,
        location=location,
    )  # fmt: skip
    if not recorded:
        # Deleted (or reset) while the bytes were arriving: drop what we wrote.
        with contextlib.suppress(OSError, ValueError):
            await state.store.delete(location)
        raise Gone(f"Image {image.id} was deleted or changed during the upload.")


async def _kill(state: ImageState, image_id: str, busy: str) -> None:
    """A transfer broke (client gone, store failure): mark the image killed."""
    LOG.warning("image %s: upload failed, marking it killed", image_id)
    await images.transition(state.db, image_id, (busy,), status="killed")
