"""Image (Glance v2) calls beyond the service needs of ``image.py``: listing with
filters, properties (JSON patch), members, imports, and streamed uploads of unknown
length, as a user's tools make them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.rest import RestClient

Doc = dict[str, Any]
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


class GlanceClient(RestClient):
    """The image endpoint of the catalog with one token."""

    service = "image"

    def __init__(self, session: Session, client: httpx.AsyncClient) -> None:
        super().__init__(session.endpoint("image"), session.token, client)

    async def images(self, **params: Any) -> tuple[list[Doc], str | None]:
        """One page of images and the marker of the next one (None on the last page)."""
        body = await self.call("GET", "/v2/images", params=params)
        following = body.get("next")
        marker = None
        if following and body["images"]:
            marker = str(body["images"][-1]["id"])
        return list(body["images"]), marker

    async def image(self, image_id: str) -> Doc:
        return dict(await self.call("GET", f"/v2/images/{image_id}"))

    async def create(self, **fields: Any) -> Doc:
        return dict(await self.call("POST", "/v2/images", json=fields))

    async def patch(self, image_id: str, changes: list[Doc]) -> Doc:
        """Apply JSON-patch ``changes`` (``{"op", "path", "value"}``) to the image."""
        resp = await self.response(
            "PATCH",
            f"/v2/images/{image_id}",
            content=json.dumps(changes).encode(),
            headers={"Content-Type": PATCH_TYPE},
        )
        return dict(resp.json())

    async def delete(self, image_id: str) -> None:
        await self.call("DELETE", f"/v2/images/{image_id}")

    async def upload(self, image_id: str, chunks: AsyncIterator[bytes]) -> None:
        """Stream the image data (of any length) chunk by chunk: nothing is buffered whole."""
        await self.response(
            "PUT",
            f"/v2/images/{image_id}/file",
            content=chunks,
            headers={"Content-Type": "application/octet-stream"},
        )

    async def import_info(self) -> Doc:
        return dict((await self.call("GET", "/v2/info/import"))["import-methods"])

    async def web_download(self, image_id: str, uri: str) -> None:
        body = {"method": {"name": "web-download", "uri": uri}}
        await self.call("POST", f"/v2/images/{image_id}/import", json=body)

    async def members(self, image_id: str) -> list[Doc]:
        return list((await self.call("GET", f"/v2/images/{image_id}/members"))["members"])

    async def add_member(self, image_id: str, member: str) -> Doc:
        body = {"member": member}
        return dict(await self.call("POST", f"/v2/images/{image_id}/members", json=body))

    async def set_member_status(self, image_id: str, member: str, status: str) -> Doc:
        path = f"/v2/images/{image_id}/members/{member}"
        return dict(await self.call("PUT", path, json={"status": status}))

    async def remove_member(self, image_id: str, member: str) -> None:
        await self.call("DELETE", f"/v2/images/{image_id}/members/{member}")
