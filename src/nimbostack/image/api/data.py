"""Image data over HTTP: upload (PUT file), download (GET file), and staging (PUT stage).

Bodies are streamed straight from the socket into the store (chunked bodies too),
and downloads stream from the store in 1 MiB reads: no image is ever held in memory.
Staged data is inspected like uploaded data, so refused data is never kept, even
waiting for an import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import BadRequest, Conflict, Forbidden
from nimbostack.image import quota
from nimbostack.image.api.images import target
from nimbostack.image.db.models import Image
from nimbostack.image.ingest import ingest, verify
from nimbostack.image.objects import images
from nimbostack.image.state import ImageState, state_of
from nimbostack.image.stores.base import LimitExceeded, StagedData


async def _body(req: ApiRequest) -> AsyncIterator[bytes]:
    async for chunk in req.http.stream():
        yield chunk


async def _check_declared_length(req: ApiRequest, state: ImageState, image: Image) -> None:
    """Refuse before reading a byte when Content-Length already says it will not fit."""
    raw = req.http.headers.get("content-length")
    if raw is None or not raw.isdigit():
        return
    limit, is_quota = await quota.byte_limit(state, image.owner)
    if int(raw) > limit:
        raise quota.too_large(limit, is_quota)


async def _writable(req: ApiRequest, state: ImageState) -> Image:
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("upload_image", target(image))
    if not image.disk_format or not image.container_format:
        raise BadRequest("Properties disk_format and container_format must be set first.")
    await _check_declared_length(req, state, image)
    return image


async def upload_image_data(req: ApiRequest) -> Response:
    state = state_of(req)
    image = await _writable(req, state)
    claimed = await images.claim(state.db, image.id, ("queued",), "saving")
    if claimed is None:
        raise Conflict(
            f"Image {image.id} is {image.status}: data can only be uploaded to a queued image."
        )
    try:
        await ingest(state, claimed, _body(req), "saving")
    except ClientDisconnect:
        raise BadRequest("The client disconnected during the upload.") from None
    return empty(204)


async def stage_image_data(req: ApiRequest) -> Response:
    state = state_of(req)
    image = await _writable(req, state)
    claimed = await images.claim(state.db, image.id, ("queued",), "uploading")
    if claimed is None:
        raise Conflict(f"Image {image.id} is {image.status}: only a queued image can be staged.")
    try:
        staged = await _stage(req, state, claimed)
    except BaseException:
        await images.transition(state.db, image.id, ("uploading",), status="queued")
        raise
    await state.staging.commit(staged)
    return empty(204)


async def _stage(req: ApiRequest, state: ImageState, image: Image) -> StagedData:
    """The request body written to staging and inspected; nothing is kept on failure."""
    limit, is_quota = await quota.byte_limit(state, image.owner)
    try:
        staged = await state.staging.write(image.id, _body(req), limit)
    except LimitExceeded:
        raise quota.too_large(limit, is_quota) from None
    try:
        await verify(state, image, staged.path)
    except BaseException:
        await state.staging.discard(staged)
        raise
    return staged


async def download_image_data(req: ApiRequest) -> Response:
    state = state_of(req)
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("download_image", target(image))
    if image.status == "deactivated" and not req.context.is_admin:
        raise Forbidden(
            "The requested image has been deactivated. Image data download is forbidden."
        )
    if not image.location or image.status not in ("active", "deactivated"):
        return empty(204)
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(image.size),
        "Content-MD5": image.checksum or "",
    }
    body = state.store.read(image.location)
    return StreamingResponse(body, headers=headers, media_type="application/octet-stream")
