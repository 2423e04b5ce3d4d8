"""Each service's own OpenStack error body, as a check of a 4xx response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


def _keystone(body: Any, status: int) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and error.get("code") == status
        and isinstance(error.get("message"), str)
        and isinstance(error.get("title"), str)
    )


def _nova(body: Any, status: int) -> bool:
    if not isinstance(body, dict) or len(body) != 1:
        return False
    fault = next(iter(body.values()))
    return (
        isinstance(fault, dict)
        and fault.get("code") == status
        and isinstance(fault.get("message"), str)
    )


def _placement(body: Any, status: int) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    return (
        isinstance(errors, list)
        and len(errors) == 1
        and errors[0].get("status") == status
        and isinstance(errors[0].get("detail"), str)
        and isinstance(errors[0].get("code"), str)
    )


def _glance(body: Any, status: int) -> bool:
    return (
        isinstance(body, dict)
        and body.get("code") == status
        and isinstance(body.get("message"), str)
        and isinstance(body.get("title"), str)
    )


def _neutron(body: Any, status: int) -> bool:
    error = body.get("NeutronError") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and set(error) == {"type", "message", "detail"}
        and all(isinstance(error[key], str) for key in ("type", "message", "detail"))
    )


# Keyed by the service registry's names; a new service adds its shape here.
SHAPES: dict[str, Callable[[Any, int], bool]] = {
    "identity": _keystone,
    "compute": _nova,
    "placement": _placement,
    "image": _glance,
    "network": _neutron,
    "volume": _nova,  # Cinder's faults have Nova's shape: {"badRequest": {code, message}}
}


def is_own_error(service: str, resp: httpx.Response) -> bool:
    """Whether a 4xx response carries ``service``'s error body, matching its status."""
    try:
        body = resp.json()
    except ValueError:
        return False
    return SHAPES[service](body, resp.status_code)
