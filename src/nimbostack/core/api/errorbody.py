"""Error bodies in each OpenStack API's own shape (they differ between services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbostack.core.errors import ApiError

ErrorFormatter = Callable[[ApiError, str], dict[str, Any]]

# Nova and Cinder name the body's key after the fault.
_NOVA_FAULT_KEYS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    406: "notAcceptable",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}


def keystone_error(err: ApiError, request_id: str) -> dict[str, Any]:
    return {"error": {"code": err.status, "message": err.message, "title": err.title}}


def nova_error(err: ApiError, request_id: str) -> dict[str, Any]:
    key = _NOVA_FAULT_KEYS.get(err.status, "computeFault")
    return {key: {"code": err.status, "message": err.message}}


def neutron_error(err: ApiError, request_id: str) -> dict[str, Any]:
    kind = err.code or type(err).__name__
    return {"NeutronError": {"type": kind, "message": err.message, "detail": ""}}


def placement_error(err: ApiError, request_id: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "status": err.status,
                "title": err.title,
                "detail": err.message,
                "request_id": request_id,
                "code": err.code or "placement.undefined_code",
            }
        ]
    }


def glance_error(err: ApiError, request_id: str) -> dict[str, Any]:
    # Glance answers with webob's plain shape; clients read "message" or the text.
    return {"code": err.status, "title": err.title, "message": err.message}


# Cinder names the same faults as Nova, but has no key of its own for 406 and 429.
_CINDER_FAULT_KEYS = {k: v for k, v in _NOVA_FAULT_KEYS.items() if k not in (406, 429)}


def cinder_error(err: ApiError, request_id: str) -> dict[str, Any]:
    key = _CINDER_FAULT_KEYS.get(err.status, "computeFault")
    return {key: {"code": err.status, "message": err.message}}
