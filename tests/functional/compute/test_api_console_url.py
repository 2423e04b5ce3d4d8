"""The console URL the API hands out carries a token the console proxy accepts."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from nimbostack.compute.console.tokens import load_secret, verify_token
from tests.functional.compute.api_support import Compute, api, fault

__all__ = ["api"]
VNC = {"remote_console": {"protocol": "vnc", "type": "novnc"}}


def _token(url: str) -> str:
    path = unquote(parse_qs(urlsplit(url).query)["path"][0])
    return parse_qs(path.lstrip("?"))["token"][0]


async def _console_url(api: Compute, tmp_path: Path) -> tuple[str, str]:
    setattr(api.state, "data_dir", tmp_path)  # noqa: B010 (the stub state has no field)
    api.state.rpc.answers["GetConsole"] = {"host": "127.0.0.1", "port": 5907, "kind": "vnc"}
    uuid = await api.active()
    resp = await api.call("POST", f"/servers/{uuid}/remote-consoles", VNC)
    assert resp.status_code == 200, resp.text
    body = resp.json()["remote_console"]
    assert body["protocol"] == "vnc" and body["type"] == "novnc"
    return uuid, str(body["url"])


async def test_the_proxy_accepts_the_token_of_the_url(api: Compute, tmp_path: Path) -> None:
    uuid, url = await _console_url(api, tmp_path)
    my_ip = api.state.conf.DEFAULT.my_ip
    assert url.startswith(f"http://{my_ip}:6080/vnc_lite.html?path=")
    target = verify_token(load_secret(tmp_path), _token(url))  # the proxy's check
    assert (target.instance_uuid, target.host, target.port) == (uuid, "127.0.0.1", 5907)


async def test_base_url_comes_from_the_proxy_options(api: Compute, tmp_path: Path) -> None:
    api.state.conf.override("console_proxy", base_url="https://c.example/vnc_lite.html")
    _, url = await _console_url(api, tmp_path)
    assert url.startswith("https://c.example/vnc_lite.html?path=%3Ftoken%3D")


async def test_a_guest_without_vnc_is_a_conflict(api: Compute, tmp_path: Path) -> None:
    setattr(api.state, "data_dir", tmp_path)  # noqa: B010
    api.state.rpc.answers["GetConsole"] = {}
    uuid = await api.active()
    resp = await api.call("POST", f"/servers/{uuid}/remote-consoles", VNC)
    assert resp.status_code == 409
    assert fault(resp)["message"] == f"Instance {uuid} has no VNC console."


@pytest.mark.parametrize("kind", ["spice-html5", "xvpvnc"])
async def test_unsupported_console_types(api: Compute, kind: str) -> None:
    uuid = await api.active()
    body = {"remote_console": {"protocol": "vnc" if kind == "xvpvnc" else "spice", "type": kind}}
    resp = await api.call("POST", f"/servers/{uuid}/remote-consoles", body)
    assert resp.status_code == 400
    assert "Unsupported console type" in fault(resp)["message"]
