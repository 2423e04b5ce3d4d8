"""Flavor bodies per microversion."""

from __future__ import annotations

from typing import Any

from nimbostack.compute.api.views.servers import ServerViewer
from nimbostack.compute.db.models import Flavor


def brief(viewer: ServerViewer, flavor: Flavor) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": flavor.flavorid,
        "name": flavor.name,
        "links": viewer.links("flavors", flavor.flavorid),
    }
    if viewer.at_least("2.55"):
        body["description"] = flavor.description
    return body


def full(viewer: ServerViewer, flavor: Flavor) -> dict[str, Any]:
    swap: int | str = flavor.swap
    if not flavor.swap and not viewer.at_least("2.75"):
        swap = ""
    body = {
        **brief(viewer, flavor),
        "ram": flavor.memory_mb,
        "disk": flavor.root_gb,
        "vcpus": flavor.vcpus,
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": flavor.disabled,
        "swap": swap,
        "rxtx_factor": flavor.rxtx_factor,
        "os-flavor-access:is_public": flavor.is_public,
    }
    if viewer.at_least("2.61") and viewer.extra_specs:
        body["extra_specs"] = dict(flavor.extra_specs or {})
    return body
