"""Image client: find, create and upload images (Glance v2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.headers import trace_headers
from nimbostack.clients.identity import Session

CHUNK = 1024 * 1024


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class ImageClient:
    """A thin client over one image endpoint with one token."""

    def __init__(self, session: Session, client: httpx.AsyncClient | None = None) -> None:
        self.base = session.endpoint("image")
        self.client = client or httpx.AsyncClient(timeout=300, verify=tls.context())
        self._token = session.token

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self._token, **trace_headers()}

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
