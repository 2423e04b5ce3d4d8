"""Serving an ASGI app on a TCP port or a unix socket inside the running event loop (uvicorn)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process that embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    """Serves one ASGI app on an already bound socket inside the running event loop.

    The socket stays close-on-exec (``Runtime.listen`` binds it), so no child process
    (a guest's QEMU, dnsmasq) can keep the port after the cloud stops. Stopping the
    server closes the socket.
    """

    def __init__(self, app: Any, sock: socket.socket, name: str) -> None:
        # A unix socket (a local agent's) has a path for a name, and no port.
        where = sock.getsockname()
        host, port = (where, 0) if sock.family == socket.AF_UNIX else where[:2]
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=75,
            h11_max_incomplete_event_size=64 * 1024,
        )
        self.server = _QuietServer(config)
        self.sock = sock
        self.name = name
        self.port = int(port)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        serve = self.server.serve(sockets=[self.sock])
        self._task = asyncio.create_task(serve, name=f"http-{self.name}")
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"{self.name}: HTTP server stopped during start-up")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.server.should_exit = True
        await self._task
        self._task = None
        self.sock.close()
