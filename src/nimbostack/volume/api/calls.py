"""Calls from the API to a backend's manager, with their failures as API errors.

A manager that refuses (an export its backend cannot make) is the caller's 400; a
manager that does not answer (its process is down) is a 503 naming the backend.
"""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest, ServiceUnavailable
from nimbostack.core.rpc import Message, RemoteExpectedError, RpcError
from nimbostack.volume.rpcapi import backend_of
from nimbostack.volume.state import VolumeState


async def call_manager(state: VolumeState, req: ApiRequest, host: str, msg: Message) -> Any:
    try:
        return await state.rpc.call_manager(req.context, host, msg)
    except RemoteExpectedError as exc:
        raise BadRequest(f"Backend {backend_of(host)} refused {msg.name}: {exc}") from None
    except RpcError as exc:
        raise ServiceUnavailable(
            f"The volume service of backend {backend_of(host)} does not answer: {exc}"
        ) from None
