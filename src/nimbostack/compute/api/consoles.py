"""Remote consoles: ask the agent where the guest's VNC listens, hand out a proxy URL.

The URL's token is the console proxy's stateless signed token (compute/console/tokens.py),
signed with the secret in the data directory the API shares with the proxy, so any
proxy holding that secret accepts it, whichever process issued it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, state_of
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.console import options as _console_options  # noqa: F401 (options)
from nimbostack.compute.console.tokens import console_url, issue_console_token
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import GetConsole
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, Conflict, ServiceUnavailable
from nimbostack.core.rpc import RpcError

SUPPORTED = {("vnc", "novnc")}
SCHEMA = {
    "type": "object",
    "properties": {
        "remote_console": {
            "type": "object",
            "properties": {
                "protocol": {"enum": ["vnc", "spice", "serial", "rdp", "mks"]},
                "type": {
                    "enum": ["novnc", "xvpvnc", "spice-html5", "spice-direct", "serial",
                             "rdp-html5", "webmks"]
                },
            },
            "required": ["protocol", "type"],
            "additionalProperties": False,
        }
    },
    "required": ["remote_console"],
    "additionalProperties": False,
}  # fmt: skip


def _proxy_base(state: ApiState) -> str:
    """noVNC's page on the proxy: [console_proxy] base_url, else on my_ip and its port."""
    conf = state.conf
    own = str(conf.console_proxy.base_url or "")
    return own or f"http://{conf.DEFAULT.my_ip}:{conf.console_proxy.port}/vnc_lite.html"


async def open_console(
    req: ApiRequest, instance: Instance, protocol: str, kind: str
) -> dict[str, Any]:
    state = state_of(req)
    req.enforce("os_compute_api:os-remote-consoles", target(instance))
    if (protocol, kind) not in SUPPORTED:
        raise BadRequest(f"Unsupported console type {kind} for protocol {protocol}")
    if not instance.host:
        raise Conflict(f"Instance {instance.uuid} has no host; its console is not available.")
    try:
        info = await state.rpc.call_agent(
            req.context, instance.host, GetConsole(instance.uuid), timeout=30
        )
    except RpcError as exc:
        raise ServiceUnavailable(f"The compute host did not answer: {exc}") from None
    host, port = (info or {}).get("host"), (info or {}).get("port")
    # The data dir holds the secret shared with the proxy (ComputeState.data_dir).
    data_dir: Path | None = getattr(state, "data_dir", None)
    if not host or not port or data_dir is None:
        raise Conflict(f"Instance {instance.uuid} has no VNC console.")
    ttl = float(state.conf.console_proxy.token_ttl)
    token = issue_console_token(data_dir, instance.uuid, str(host), int(port), ttl=ttl)
    return {"protocol": protocol, "type": kind, "url": console_url(_proxy_base(state), token)}


async def create_remote_console(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    body = (await req.json(SCHEMA))["remote_console"]
    found = await open_console(req, instance, body["protocol"], body["type"])
    return json_response({"remote_console": found})
