"""``/images`` (deprecated at 2.36): the image service's images in the compute API's shape.

Every call goes to the image service with the caller's token, so the image service's
visibility rules and policies apply unchanged; this module only translates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.responses import Response

from nimbostack.compute.api.deps import state_of, user_images
from nimbostack.compute.api.server_lookup import viewer
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response, url_segment
from nimbostack.core.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable

# Glance's own fields; everything else on an image is a property (compute "metadata").
CORE_FIELDS = frozenset(
    ("id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo",
     "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk", "disk_format",
     "container_format", "created_at", "updated_at", "tags", "file", "self", "schema",
     "direct_url", "locations", "os_hidden", "stores")
)  # fmt: skip
_STATUS = {
    "active": ("ACTIVE", 100),
    "queued": ("SAVING", 25),
    "saving": ("SAVING", 50),
    "importing": ("SAVING", 50),
    "uploading": ("SAVING", 50),
    "deleted": ("DELETED", 0),
    "pending_delete": ("DELETED", 0),
    "killed": ("ERROR", 0),
}
# compute filter -> image service filter
_FILTERS = {"name": "name", "status": "status", "server": "instance_uuid", "type": "image_type"}


@asynccontextmanager
async def glance(req: ApiRequest) -> AsyncIterator[tuple[httpx.AsyncClient, str, dict[str, str]]]:
    """(client, base URL, headers) for the image service, as the caller; deprecated at 2.36."""
    if (req.version or Version(2, 1)).matches("2.36"):
        raise NotFound("The resource could not be found.")
    async with user_images(req, state_of(req)) as images:
        try:
            yield images.client, images.base, images.headers
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"The image service is not reachable: {exc}") from None


def check(resp: httpx.Response, image_id: str = "") -> None:
    if resp.status_code == 404:
        raise NotFound(f"Image {image_id} could not be found." if image_id else "Not found.")
    if resp.status_code == 403:
        raise Forbidden("The image service refused the request.")
    if resp.status_code == 400:
        raise BadRequest("The image service refused the request as invalid.")
    if resp.status_code >= 400:
        raise ServiceUnavailable(f"The image service answered {resp.status_code}")


def _time(value: Any) -> str:
    return str(value or "")[:19] + "Z"


def links(req: ApiRequest, image_id: str, image_base: str) -> list[dict[str, str]]:
    found = viewer(req).links("images", image_id)
    alternate = {
        "rel": "alternate",
        "type": "application/vnd.openstack.image",
        "href": f"{image_base}/images/{image_id}",
    }
    return [*found, alternate]


def brief(req: ApiRequest, image: dict[str, Any], image_base: str) -> dict[str, Any]:
    return {
        "id": image["id"],
        "name": image.get("name"),
        "links": links(req, image["id"], image_base),
    }


def full(req: ApiRequest, image: dict[str, Any], image_base: str) -> dict[str, Any]:
    status, progress = _STATUS.get(str(image.get("status")), ("UNKNOWN", 0))
    metadata = {k: v for k, v in image.items() if k not in CORE_FIELDS}
    body: dict[str, Any] = {
        **brief(req, image, image_base),
        "status": status,
        "progress": progress,
        "created": _time(image.get("created_at")),
        "updated": _time(image.get("updated_at")),
        "minDisk": int(image.get("min_disk") or 0),
        "minRam": int(image.get("min_ram") or 0),
        "metadata": metadata,
        "OS-EXT-IMG-SIZE:size": image.get("size"),
    }
    server = metadata.get("instance_uuid")
    if server:
        body["server"] = {"id": server, "links": viewer(req).links("servers", str(server))}
    return body


def _params(req: ApiRequest) -> dict[str, str]:
    params = {theirs: req.query[ours] for ours, theirs in _FILTERS.items() if ours in req.query}
    if "instance_uuid" in params:  # a server id or any of its links
        params["instance_uuid"] = params["instance_uuid"].rstrip("/").rsplit("/", 1)[-1]
    if "status" in params:
        params["status"] = params["status"].lower()
    for ours, theirs in (("minRam", "min_ram"), ("minDisk", "min_disk")):
        if ours in req.query:
            params[theirs] = f"gte:{req.query[ours]}"
    for name in ("limit", "marker"):
        if name in req.query:
            params[name] = req.query[name]
    if "changes-since" in req.query:
        params["updated_at"] = f"gte:{req.query['changes-since']}"
    return params


async def _list(req: ApiRequest, detail: bool) -> Response:
    async with glance(req) as (client, base, headers):
        resp = await client.get(f"{base}/v2/images", params=_params(req), headers=headers)
    check(resp)
    render = full if detail else brief
    return json_response({"images": [render(req, i, base) for i in resp.json()["images"]]})


async def list_images(req: ApiRequest) -> Response:
    return await _list(req, detail=False)


async def list_images_detail(req: ApiRequest) -> Response:
    return await _list(req, detail=True)


def image_url(base: str, image_id: str) -> str:
    """The image service's URL of ``image_id``, quoted: a client's text stays one segment."""
    return f"{base}/v2/images/{url_segment(image_id)}"


async def fetch(req: ApiRequest, image_id: str) -> tuple[dict[str, Any], str]:
    """The image service's record of ``image_id`` and that service's base URL."""
    async with glance(req) as (client, base, headers):
        resp = await client.get(image_url(base, image_id), headers=headers)
    check(resp, image_id)
    return dict(resp.json()), base


async def show_image(req: ApiRequest) -> Response:
    image, base = await fetch(req, req.param("image_id"))
    return json_response({"image": full(req, image, base)})


async def delete_image_without_id(req: ApiRequest) -> Response:
    """``DELETE /images/`` names no image: a 404, not a method error on the listing."""
    raise NotFound("The resource could not be found.")


async def delete_image(req: ApiRequest) -> Response:
    image_id = req.param("image_id")
    async with glance(req) as (client, base, headers):
        resp = await client.delete(image_url(base, image_id), headers=headers)
    check(resp, image_id)
    return empty(204)
