"""A small asyncio client of the QEMU Machine Protocol (QMP) over a unix socket.

Each operation opens its own short connection: QEMU's QMP server serves one
client at a time, and a connection held by a crashed agent must never block
the next one. Asynchronous events read while waiting for a reply are kept, so
``wait_event`` finds one that came before it was called.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

_LINE_LIMIT = 16 * 1024 * 1024


class QmpError(Exception):
    """QMP failed: the socket is unreachable or QEMU answered with an error."""


class QmpClient:
    """One QMP session; use ``async with QmpClient(path) as qmp``."""

    def __init__(self, socket_path: Path, *, timeout: float = 10.0) -> None:
        self._path = socket_path
        self._timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._events: list[dict[str, Any]] = []

    async def __aenter__(self) -> QmpClient:
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(self._path), limit=_LINE_LIMIT), self._timeout
            )
            greeting = await self._read_message()
            if "QMP" not in greeting:
                raise QmpError(f"unexpected QMP greeting: {greeting}")
            await self.execute("qmp_capabilities")
        except (TimeoutError, OSError) as exc:
            await self.close()
            raise QmpError(f"cannot reach QMP at {self._path}: {exc or 'timeout'}") from exc
        except QmpError:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            # QEMU may already have gone (quit, crash).
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _read_message(self) -> dict[str, Any]:
        assert self._reader is not None
        line = await asyncio.wait_for(self._reader.readline(), self._timeout)
        if not line:
            raise QmpError("QMP connection closed by QEMU")
        message: dict[str, Any] = json.loads(line)
        return message

    async def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run one command and return its ``return`` value; QEMU errors raise QmpError."""
        if self._writer is None:
            raise QmpError("QMP session is not open")
        request: dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        try:
            self._writer.write(json.dumps(request).encode() + b"\n")
            await self._writer.drain()
            while True:
                reply = await self._read_message()
                if "event" in reply:
                    self._events.append(reply)
                    continue
                break
        except (TimeoutError, OSError) as exc:
            raise QmpError(f"QMP {command} failed: {exc or 'timeout'}") from exc
        if "error" in reply:
            error = reply["error"]
            raise QmpError(f"QMP {command}: {error.get('desc', error)}")
        return reply.get("return")

    async def wait_event(self, name: str, data: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The first event ``name`` whose data has ``data``'s items, within ``timeout``."""

        def wanted(message: dict[str, Any]) -> bool:
            found = message.get("data") or {}
            return message.get("event") == name and all(found.get(k) == v for k, v in data.items())

        for seen in self._events:
            if wanted(seen):
                return seen
        deadline = time.monotonic() + timeout
        assert self._reader is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpError(f"no {name} event within {timeout:.0f} s")
            try:
                line = await asyncio.wait_for(self._reader.readline(), left)
            except TimeoutError:
                continue
            if not line:
                raise QmpError("QMP connection closed by QEMU")
            message: dict[str, Any] = json.loads(line)
            if wanted(message):
                return message


async def qmp_execute(
    socket_path: Path,
    command: str,
    arguments: dict[str, Any] | None = None,
    *,
    timeout: float = 10.0,
) -> Any:
    """Open a session, run one command, close."""
    async with QmpClient(socket_path, timeout=timeout) as qmp:
        return await qmp.execute(command, arguments)
