"""Image client: find, create and upload images (Glance v2)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.headers import trace_headers
from nimbostack.clients.identity import Session

CHUNK = 1024 * 1024


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    # Reads run in a thread: an upload of a large file must not hold up the event loop.
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


class ImageClient:
    """A thin client over one image endpoint with one token."""

    def __init__(self, session: Session, client: httpx.AsyncClient | None = None) -> None:
        self.base = session.endpoint("image")
        self.client = client or httpx.AsyncClient(timeout=300, verify=tls.context())
        self._token = session.token

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self._token, **trace_headers()}

    async def get(self, image_id: str) -> dict[str, Any] | None:
        """The image record, or None when it does not exist (or is not visible)."""
        resp = await self.client.get(f"{self.base}/v2/images/{image_id}", headers=self.headers)
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        return dict(resp.json())

    async def download(self, image_id: str, path: Path, *, max_bytes: int | None = None) -> int:
        """Write the image's data to ``path`` (blocking writes run in a thread); its size.

        Stops with ValueError past ``max_bytes``: a download never fills the disk.
        """
        url = f"{self.base}/v2/images/{image_id}/file"
        written = 0
        async with self.client.stream("GET", url, headers=self.headers) as resp:
            resp.raise_for_status()
            handle = await asyncio.to_thread(path.open, "wb")
            try:
                async for chunk in resp.aiter_bytes(CHUNK):
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        raise ValueError(f"image {image_id} is larger than {max_bytes} bytes")
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
        return written

    async def find(self, name: str) -> list[dict[str, Any]]:
        resp = await self.client.get(
            f"{self.base}/v2/images", params={"name": name}, headers=self.headers
        )
        resp.raise_for_status()
        return list(resp.json()["images"])

    async def create(self, **fields: Any) -> dict[str, Any]:
        resp = await self.client.post(f"{self.base}/v2/images", json=fields, headers=self.headers)
        resp.raise_for_status()
        return dict(resp.json())

    async def upload(self, image_id: str, path: Path) -> None:
        headers = {**self.headers, "Content-Type": "application/octet-stream"}
        resp = await self.client.put(
            f"{self.base}/v2/images/{image_id}/file", content=_file_chunks(path), headers=headers
        )
        resp.raise_for_status()

    async def delete(self, image_id: str) -> None:
        resp = await self.client.delete(f"{self.base}/v2/images/{image_id}", headers=self.headers)
        if resp.status_code != 404:
            resp.raise_for_status()

    async def close(self) -> None:
        await self.client.aclose()
