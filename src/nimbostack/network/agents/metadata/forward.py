"""Forwarding one guest request to compute's metadata API, signed, and relaying the answer.

The request goes out with the instance's id and project, the guest's address, and the
id's signature under the shared secret; the answer comes back with its status, its
content headers and a body no larger than ``max_size`` (a larger one is a 502: the
guest gets nothing rather than a truncated file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from nimbostack.clients import tls
from nimbostack.core.metadata import sign
from nimbostack.network.metadata_messages import InstancePort

LOG = logging.getLogger(__name__)
# Headers of compute's answer worth passing to the guest (not hop-by-hop ones).
RELAYED = ("content-type", "content-language", "last-modified", "etag", "cache-control")


class TooLarge(Exception):
    """Compute's answer is larger than the agent relays."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class GuestRequest:
    method: str
    path: str  # with its query string
    client: str
    body: bytes
    content_type: str | None = None


class Forwarder:
    """Signs and forwards guests' requests to compute's metadata API at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        max_size: int,
        *,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.secret = secret
        self.max_size = max_size
        self.client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport, verify=tls.context()
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def forward(self, req: GuestRequest, instance: InstancePort) -> Answer:
        headers = {
            "X-Forwarded-For": req.client,
            "X-Instance-ID": instance.device_id,
            "X-Tenant-ID": instance.tenant_id,
            "X-Instance-ID-Signature": sign(self.secret, instance.device_id),
        }
        if req.content_type:
            headers["Content-Type"] = req.content_type
        sent = self.client.build_request(req.method, req.path, headers=headers, content=req.body)
        response = await self.client.send(sent, stream=True)
        try:
            body = await self._read(response)
        finally:
            await response.aclose()
        if response.status_code == 403:
            LOG.warning("compute's metadata API refused a signature: do the secrets match?")
        kept = {k: v for k, v in response.headers.items() if k.lower() in RELAYED}
        return Answer(response.status_code, kept, body)

    async def _read(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_size:
                raise TooLarge(f"more than {self.max_size} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
