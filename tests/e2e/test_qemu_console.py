"""End-to-end test of the VNC console: a real guest's VNC server reached through the proxy."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from nimbostack.compute.agent.drivers.qemu import QemuDriver
from nimbostack.compute.console.origin import OriginPolicy
from nimbostack.compute.console.proxy import build_proxy_app
from nimbostack.compute.console.tokens import console_url, issue_token, load_secret
from nimbostack.core.http import HttpServer
from nimbostack.core.runtime import bind_socket
from nimbostack.guest_image.builder import GuestImage
from tests.e2e import qemu_support as qs
from tests.e2e.qemu_support import make_spec
from tests.support.requires import require

pytestmark = pytest.mark.e2e
guest_image = qs.guest_image
host_dir = qs.host_dir
make_driver = qs.make_driver
driver = qs.driver
NOVNC = Path("/usr/share/novnc")


async def test_vnc_through_the_proxy(
    driver: QemuDriver, guest_image: GuestImage, host_dir: Path
) -> None:
    require(
        (NOVNC / "vnc_lite.html").exists(), "noVNC (apt-get install novnc)", "the proxy serves it"
    )
    spec = make_spec(guest_image, "vm-vnc")
    await driver.spawn(spec)
    info = await driver.console(spec.uuid)
    assert info.kind == "vnc" and info.host == "127.0.0.1" and info.port >= 5900

    secret = load_secret(host_dir / "data")
    assert load_secret(host_dir / "data") == secret  # created once, then reused
    sock = bind_socket("127.0.0.1", 0, "console-test")
    port = int(sock.getsockname()[1])
    origins = OriginPolicy.build(f"http://127.0.0.1:{port}/vnc_lite.html")
    server = HttpServer(build_proxy_app(secret, NOVNC, origins), sock, "console-test")
    await server.start()
    try:
        token = issue_token(secret, spec.uuid, info.host, info.port)
        url = console_url(f"http://127.0.0.1:{port}/vnc_lite.html", token)
        async with httpx.AsyncClient() as client:
            page = await client.get(url)
            assert page.status_code == 200 and "noVNC" in page.text
            script = await client.get(f"http://127.0.0.1:{port}/core/rfb.js")
            assert script.status_code == 200
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/?token={token}", subprotocols=[Subprotocol("binary")]
        ) as ws:
            assert ws.subprotocol == "binary"
            banner = await ws.recv()
            assert banner == b"RFB 003.008\n"
            await ws.send(b"RFB 003.008\n")  # the relay carries bytes both ways
            security = await ws.recv()
            assert isinstance(security, bytes) and len(security) >= 2
        for bad in ("", token[:-2] + "xx", issue_token(secret, spec.uuid, "127.0.0.1", 1, ttl=-1)):
            with pytest.raises(InvalidStatus) as refused:
                async with websockets.connect(f"ws://127.0.0.1:{port}/websockify?token={bad}"):
                    pass
            assert refused.value.response.status_code == 403
    finally:
        await server.stop()
