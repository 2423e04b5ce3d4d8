"""Remote consoles: ask the agent where the guest's VNC listens, hand out a proxy URL.

The console proxy (port 6080) is served by the QEMU work; the token it checks is kept
in ``state.extra["console_tokens"]`` for now (one process), see ``console_tokens``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, state_of
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import GetConsole
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, Conflict, ServiceUnavailable
from nimbostack.core.rpc import RpcError

P = "os_compute_api:"
TOKEN_TTL = 600.0
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


def console_tokens(state: ApiState) -> dict[str, dict[str, Any]]:
    """token -> {instance_uuid, host, port, expires}: what the proxy resolves."""
    extra: dict[str, Any] = getattr(state, "extra", {})
    tokens: dict[str, dict[str, Any]] = extra.setdefault("console_tokens", {})
    now = time.time()
    for token in [t for t, v in tokens.items() if v["expires"] < now]:
        del tokens[token]
    return tokens


def _proxy_base(state: ApiState) -> str:
    conf = state.conf
    return f"http://{conf.DEFAULT.my_ip}:6080"


async def open_console(
    req: ApiRequest, instance: Instance, protocol: str, kind: str
) -> dict[str, Any]:
    state = state_of(req)
    req.enforce(P + "os-remote-consoles", target(instance))
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
    token = secrets.token_urlsafe(24)
    console_tokens(state)[token] = {
        "instance_uuid": instance.uuid,
        "host": (info or {}).get("host"),
        "port": (info or {}).get("port"),
        "expires": time.time() + TOKEN_TTL,
    }
    url = f"{_proxy_base(state)}/vnc_lite.html?path=%3Ftoken%3D{token}"
    return {"protocol": protocol, "type": kind, "url": url}


async def create_remote_console(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    body = (await req.json(SCHEMA))["remote_console"]
    found = await open_console(req, instance, body["protocol"], body["type"])
    return json_response({"remote_console": found})
