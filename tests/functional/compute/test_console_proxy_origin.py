"""The console proxy refuses websockets opened by other sites' pages (the Origin check)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from nimbostack.compute.console.origin import OriginPolicy
from nimbostack.compute.console.proxy import build_proxy_app
from nimbostack.compute.console.tokens import issue_token
from nimbostack.core.http import HttpServer
from nimbostack.core.runtime import bind_socket

SECRET = b"k" * 32
BANNER = b"RFB 003.008\n"


async def _vnc(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A stand-in for QEMU's VNC server: its banner, then silence until closed."""
    writer.write(BANNER)
    await writer.drain()
    await reader.read()
    writer.close()


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[tuple[int, str]]:
    """(proxy port, a valid token) for a proxy whose base URL is http://127.0.0.1:<port>."""
    (tmp_path / "vnc_lite.html").write_text("<html>noVNC</html>")
    vnc = await asyncio.start_server(_vnc, "127.0.0.1", 0)
    vnc_port = vnc.sockets[0].getsockname()[1]
    sock = bind_socket("127.0.0.1", 0, "console")
    port = int(sock.getsockname()[1])
    origins = OriginPolicy.build(
        f"http://127.0.0.1:{port}/vnc_lite.html", ["dashboard.example", " "]
    )
    server = HttpServer(build_proxy_app(SECRET, tmp_path, origins), sock, "console")
    await server.start()
    try:
        yield port, issue_token(SECRET, "vm-1", "127.0.0.1", vnc_port)
    finally:
        await server.stop()
        vnc.close()
        await vnc.wait_closed()


async def _banner(url: str, **kwargs: Any) -> bytes:
    async with websockets.connect(url, **kwargs) as ws:
        data = await ws.recv()
        assert isinstance(data, bytes)
        return data


async def _refused(url: str, **kwargs: Any) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await _banner(url, **kwargs)
    return refused.value.response.status_code


async def test_a_cross_site_page_is_refused_even_with_the_token_cookie(
    proxy: tuple[int, str],
) -> None:
    port, token = proxy
    cookie = {"Cookie": f"token={token}"}
    url = f"ws://127.0.0.1:{port}/websockify"
    for origin in ("http://evil.example", "http://127.0.0.1.evil.example:6080", "null"):
        assert await _refused(url, origin=origin, additional_headers=cookie) == 403


async def test_pages_of_the_proxy_itself_get_the_console(proxy: tuple[int, str]) -> None:
    port, token = proxy
    cookie = {"Cookie": f"token={token}"}
    url = f"ws://127.0.0.1:{port}/websockify"
    assert await _banner(url, origin=f"http://127.0.0.1:{port}", additional_headers=cookie) == (
        BANNER
    )
    assert await _banner(f"{url}?token={token}", origin="http://dashboard.example") == BANNER
    # Not a browser: no Origin at all.
    assert await _banner(f"{url}?token={token}") == BANNER


async def test_the_origin_protocol_must_match_the_base_url(proxy: tuple[int, str]) -> None:
    port, token = proxy
    url = f"ws://127.0.0.1:{port}/?token={token}"
    assert await _refused(url, origin=f"https://127.0.0.1:{port}") == 403
    forwarded = {"X-Forwarded-Proto": "https"}
    assert await _refused(url, origin=f"http://127.0.0.1:{port}", additional_headers=forwarded)
    assert await _refused(url, origin="127.0.0.1") == 403  # no scheme: not valid


def test_the_host_the_browser_reached_the_proxy_by_is_its_own() -> None:
    policy = OriginPolicy.build("http://10.0.0.5:6080/vnc_lite.html")
    by_name = {"host": "console.example:6080", "origin": "http://console.example:6080"}
    assert policy.refusal(by_name) is None
    by_v6 = {"host": "[fd00::5]:6080", "origin": "http://[fd00::5]:6080"}
    assert policy.refusal(by_v6) is None
    assert policy.refusal({"host": "console.example:6080", "origin": "http://other.example"})
