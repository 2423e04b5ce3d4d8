"""Builds RPC servers and clients for a test, and stops them all when it ends."""

from __future__ import annotations

import uuid

from nimbostack.core.rpc import RpcClient, RpcServer, Transport, get_transport


class RpcHarness:
    """Builds servers and clients the way separate processes would: one transport each.

    Everything it built is stopped and closed when the test ends.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.topic = f"test.{uuid.uuid4().hex[:12]}"
        self._transports: list[Transport] = []
        self._servers: list[RpcServer] = []

    async def transport(self) -> Transport:
        transport = get_transport(self.url)
        await transport.connect()
        self._transports.append(transport)
        return transport

    async def server(
        self,
        endpoint: object,
        *,
        topic: str | None = None,
        max_concurrency: int = 64,
        host: str | None = None,
    ) -> RpcServer:
        server = RpcServer(
            await self.transport(),
            topic or self.topic,
            endpoint,
            service="test-server",
            max_concurrency=max_concurrency,
            host=host,
        )
        await server.start()
        self._servers.append(server)
        return server

    async def client(self, *, topic: str | None = None, call_timeout: float = 10.0) -> RpcClient:
        return RpcClient(await self.transport(), topic or self.topic, timeout=call_timeout)

    async def aclose(self) -> None:
        for server in self._servers:
            await server.stop()
        for transport in self._transports:
            await transport.close()
