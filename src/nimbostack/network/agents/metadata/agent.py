"""The metadata agent: an HTTP server on a unix socket behind the namespace proxies.

For each request a proxy forwards, it reads who the guest is from the proxy's headers
(the network or router of the namespace, the client address haproxy appended last),
finds the instance through network-server, and relays compute's answer. Nothing in the
request the guest wrote itself decides which instance is served.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import Protocol

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from nimbostack.core.http import HttpServer
from nimbostack.core.rpc import RpcClient, Transport
from nimbostack.network.agent_messages import PLUGIN
from nimbostack.network.agents.metadata.forward import Forwarder, GuestRequest, TooLarge
from nimbostack.network.agents.metadata.haproxy import NETWORK_HEADER, ROUTER_HEADER
from nimbostack.network.agents.metadata.lookup import InstanceLookup
from nimbostack.network.metadata_messages import InstancePort

LOG = logging.getLogger(__name__)
METHODS = ["GET", "HEAD", "POST"]
MAX_BODY = 65536  # a guest posts at most its encrypted password


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status)


class Lookup(Protocol):
    """Finds the instance behind an address (``InstanceLookup``)."""

    async def find(
        self, ip_address: str, *, network_id: str | None, router_id: str | None
    ) -> InstancePort: ...


class MetadataAgent:
    """Serves the proxies' unix socket: finds the guest's instance and forwards for it."""

    def __init__(self, lookup: Lookup, forwarder: Forwarder) -> None:
        self.lookup = lookup
        self.forwarder = forwarder

    def app(self) -> Starlette:
        routes = [Route("/{path:path}", self.handle, methods=METHODS)]
        return Starlette(routes=routes)

    async def handle(self, request: Request) -> Response:
        network_id = request.headers.get(NETWORK_HEADER)
        router_id = request.headers.get(ROUTER_HEADER)
        forwarded = request.headers.get("x-forwarded-for", "")
        client = forwarded.split(",")[-1].strip()  # haproxy appends the real one last
        if not client or (network_id is None) == (router_id is None):
            return _text(400, "Bad Request: not forwarded by a metadata proxy.")
        body = await _bounded_body(request)
        if body is None:
            return _text(413, "Request Entity Too Large")
        try:
            instance = await self.lookup.find(client, network_id=network_id, router_id=router_id)
        except Exception:
            LOG.exception("instance lookup of %s failed", client)
            return _text(503, "Service Unavailable: the networking service did not answer.")
        if not instance.device_id:
            return _text(404, "Not Found: no instance has this address.")
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        guest = GuestRequest(
            request.method, path, client, body, request.headers.get("content-type")
        )
        try:
            answer = await self.forwarder.forward(guest, instance)
        except TooLarge:
            return _text(502, "Bad Gateway: the metadata answer is too large.")
        except httpx.HTTPError as exc:
            LOG.warning("compute's metadata API did not answer: %s", exc)
            return _text(503, "Service Unavailable: the metadata API did not answer.")
        return Response(answer.body, status_code=answer.status, headers=answer.headers)


async def _bounded_body(request: Request) -> bytes | None:
    """The request's body, or None past MAX_BODY (read no further than that)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def unix_listener(path: Path) -> socket.socket:
    """A listening unix socket at ``path`` (mode 600, close-on-exec), replacing a stale one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        path.chmod(0o600)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


class MetadataAgentRunner:
    """The agent of one host: its lookup client, its forwarder and its HTTP server."""

    def __init__(
        self, transport: Transport, socket_path: Path, forwarder: Forwarder, ttl: float
    ) -> None:
        plugin = RpcClient(transport, PLUGIN, timeout=30, service="network-metadata-agent")
        self.socket_path = socket_path
        self.agent = MetadataAgent(InstanceLookup(plugin, ttl), forwarder)
        self.server: HttpServer | None = None

    async def start(self) -> None:
        sock = await asyncio.to_thread(unix_listener, self.socket_path)
        self.server = HttpServer(self.agent.app(), sock, "network-metadata-agent")
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
        await self.agent.forwarder.close()
        await asyncio.to_thread(self.socket_path.unlink, True)
