"""Interoperable image import: POST /v2/images/{id}/import, and the /v2/info documents.

``glance-direct`` imports data put earlier with ``stage``; ``web-download`` fetches a
URL whose host the operator allowed. Both run in the background (the API answers 202),
through the same ingest path as a direct upload, so the data is inspected again on its
way into the store (a failed inspection fails the task and leaves the image queued).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.responses import Response

from nimbostack.clients import tls
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Conflict
from nimbostack.image.api.images import target
from nimbostack.image.db.models import Image
from nimbostack.image.ingest import ingest
from nimbostack.image.objects import images, tasks
from nimbostack.image.state import ImageState, state_of

LOG = logging.getLogger(__name__)
METHODS = ("glance-direct", "web-download")
_SCHEMA = {
    "type": "object",
    "required": ["method"],
    "properties": {
        "method": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "uri": {"type": "string"}},
        },
        "stores": {"type": "array", "items": {"type": "string"}},
        "all_stores": {"type": "boolean"},
        "all_stores_must_succeed": {"type": "boolean"},
    },
}


async def import_image(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json(_SCHEMA)
    method = body["method"]
    if method["name"] not in METHODS:
        raise BadRequest(f"Import method {method['name']} is not supported; use one of {METHODS}.")
    for store in body.get("stores") or []:
        if store != "file":
            raise BadRequest(f"Unknown store {store}.")
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("upload_image", target(image))
    if not image.disk_format or not image.container_format:
        raise BadRequest("Properties disk_format and container_format must be set first.")
    if method["name"] == "glance-direct":
        source, data = "uploading", _staged(state, image.id)
    else:
        source, data = "queued", _download(_allowed_uri(state, method.get("uri")))
    await _start(req, image, source, data, body)
    return empty(202)


async def _start(
    req: ApiRequest,
    image: Image,
    source: str,
    data: AsyncGenerator[bytes, None],
    body: dict[str, Any],
) -> None:
    state = state_of(req)
    claimed = await images.claim(state.db, image.id, (source,), "importing")
    if claimed is None:
        with contextlib.suppress(Exception):
            await data.aclose()
        raise Conflict(f"Image {image.id} is {image.status}; an import needs it {source}.")
    task_input = {"image_id": image.id, "import_req": body, "backend": ["file"]}
    task_id = await tasks.start(state.db, req.context, image.id, task_input)
    state.spawn(_run(state, claimed, task_id, data), f"import-{image.id}")


async def _run(state: ImageState, image: Image, task_id: str, data: AsyncIterator[bytes]) -> None:
    try:
        await ingest(state, image, data, "importing")
    except Exception as exc:
        LOG.warning("image %s: import failed: %s", image.id, exc)
        await images.transition(state.db, image.id, ("importing",), status="queued")
        await tasks.finish(state.db, task_id, str(exc) or type(exc).__name__)
    else:
        await tasks.finish(state.db, task_id)
    finally:
        with contextlib.suppress(OSError):
            await state.staging.delete(state.staging.location_of(image.id))


async def _staged(state: ImageState, image_id: str) -> AsyncGenerator[bytes, None]:
    async for chunk in state.staging.read(state.staging.location_of(image_id)):
        yield chunk


def _allowed_uri(state: ImageState, uri: Any) -> str:
    if not isinstance(uri, str) or not uri:
        raise BadRequest("The web-download import method needs a 'uri'.")
    parts = urlsplit(uri)
    allowed = {h.lower() for h in state.conf.web_download_allowed_hosts}
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in allowed:
        raise BadRequest(f"URI {uri} is not allowed for web-download by this cloud.")
    return uri


async def _download(uri: str) -> AsyncGenerator[bytes, None]:
    # Redirects are not followed: they could lead to a host the operator did not allow.
    async with (
        httpx.AsyncClient(timeout=60.0, follow_redirects=False, verify=tls.context()) as client,
        client.stream("GET", uri) as resp,
    ):
        if resp.status_code != 200:
            raise RuntimeError(f"{uri} answered {resp.status_code}")
        async for chunk in resp.aiter_bytes(1024 * 1024):
            yield chunk


async def import_info(req: ApiRequest) -> Response:
    body = {
        "import-methods": {
            "description": "Import methods available.",
            "type": "array",
            "value": list(METHODS),
        }
    }
    return json_response(body)


async def stores_info(req: ApiRequest) -> Response:
    store = {"id": "file", "description": "Local file store", "default": True}
    return json_response({"stores": [store]})
