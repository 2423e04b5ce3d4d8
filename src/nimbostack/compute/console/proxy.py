"""The VNC console proxy: serves noVNC and bridges its websocket to a guest's VNC port.

The websocket (at ``/`` or ``/websockify``) must come from an allowed origin
(``origin.py``) and carry a console token in its query (``?token=``) or in a
``token`` cookie; a foreign origin or a missing, forged or expired token is refused
before the handshake completes (HTTP 403). Then RFB bytes flow both ways unchanged
between the browser and QEMU's VNC server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from nimbostack.compute.console.origin import OriginPolicy
from nimbostack.compute.console.tokens import InvalidConsoleToken, verify_token

LOG = logging.getLogger(__name__)
_POLICY_VIOLATION = 1008
_CHUNK = 64 * 1024
_CONNECT_TIMEOUT = 5.0


async def _pump_to_guest(websocket: WebSocket, writer: asyncio.StreamWriter) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes") or (message.get("text") or "").encode()
        writer.write(data)
        await writer.drain()


async def _pump_to_browser(websocket: WebSocket, reader: asyncio.StreamReader) -> None:
    while data := await reader.read(_CHUNK):
        await websocket.send_bytes(data)


def _subprotocol(websocket: WebSocket) -> str | None:
    # noVNC asks for "binary"; older clients for "base64", which we do not speak.
    offered = websocket.scope.get("subprotocols") or []
    return "binary" if "binary" in offered else None


class ConsoleProxy:
    """The websocket endpoint, holding the token secret and the allowed origins."""

    def __init__(self, secret: bytes, origins: OriginPolicy) -> None:
        self._secret = secret
        self._origins = origins

    async def handle(self, websocket: WebSocket) -> None:
        refused = self._origins.refusal(websocket.headers)
        if refused is not None:
            LOG.info("console proxy: refused %s: %s", websocket.headers.get("origin"), refused)
            await websocket.close(code=_POLICY_VIOLATION)
            return
        token = websocket.query_params.get("token") or websocket.cookies.get("token", "")
        try:
            target = verify_token(self._secret, token)
        except InvalidConsoleToken as exc:
            LOG.info("console proxy: refused: %s", exc)
            await websocket.close(code=_POLICY_VIOLATION)
            return
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(target.host, target.port), _CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            LOG.warning("console of %s unreachable: %s", target.instance_uuid, exc)
            await websocket.close(code=_POLICY_VIOLATION)
            return
        await websocket.accept(subprotocol=_subprotocol(websocket))
        await self._bridge(websocket, reader, writer)

    async def _bridge(
        self, websocket: WebSocket, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        tasks = [
            asyncio.create_task(_pump_to_guest(websocket, writer)),
            asyncio.create_task(_pump_to_browser(websocket, reader)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, OSError):
                    await task
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            # The browser may have closed first: nothing is left to close then.
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await websocket.close()


def build_proxy_app(secret: bytes, novnc_path: Path, origins: OriginPolicy) -> Starlette:
    """The ASGI app: websocket routes first, then noVNC's files at the root."""
    if not (novnc_path / "vnc_lite.html").is_file():
        raise FileNotFoundError(f"noVNC not found in {novnc_path} (apt-get install novnc)")
    proxy = ConsoleProxy(secret, origins)
    return Starlette(
        routes=[
            WebSocketRoute("/", proxy.handle),
            WebSocketRoute("/websockify", proxy.handle),
            Mount("/", StaticFiles(directory=novnc_path, html=False)),
        ]
    )
