"""Console actions: os-getConsoleOutput and the legacy os-get*Console calls."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute.api import consoles
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import GetConsoleOutput
from nimbostack.core.api.params import bounded_int, shown
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.errors import BadRequest, Conflict, ServiceUnavailable
from nimbostack.core.rpc import RpcError

# Nova's bound for integers it stores; more lines than this is the whole log anyway.
MAX_LENGTH = 2**31 - 1


def _length(body: Any) -> int | None:
    """``length``: an integer (or a string of one) from -1 (the whole log) to MAX_LENGTH."""
    raw = body.get("length") if isinstance(body, dict) else None
    if raw is None:
        return None
    value = None
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        value = bounded_int(str(raw), -1, MAX_INT)
    if value is None:
        raise BadRequest(
            f"Invalid input for field 'length': {shown(str(raw))} is not an integer "
            f"from -1 to {MAX_INT}"
        )
    return None if value == -1 else value


async def console_output(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    length = _length(body)
    if not instance.host:
        raise Conflict(f"Instance {instance.uuid} has no host; its console is not available.")
    try:
        output = await state.rpc.call_agent(
            req.context, instance.host, GetConsoleOutput(instance.uuid, length), timeout=30
        )
    except RpcError as exc:
        raise ServiceUnavailable(f"The compute host did not answer: {exc}") from None
    return json_response({"output": str(output or "")})


def _legacy(protocol: str) -> Any:
    async def handler(req: ApiRequest, instance: Instance, body: Any) -> Response:
        kind = body.get("type") if isinstance(body, dict) else None
        if not isinstance(kind, str):
            raise BadRequest("Invalid input for field 'type'")
        found = await consoles.open_console(req, instance, protocol, kind)
        return json_response({"console": {"type": kind, "url": found["url"]}})

    return handler


ACTIONS: dict[str, Any] = {
    "os-getConsoleOutput": console_output,
    "os-getVNCConsole": _legacy("vnc"),
    "os-getSPICEConsole": _legacy("spice"),
    "os-getSerialConsole": _legacy("serial"),
    "os-getRDPConsole": _legacy("rdp"),
}
