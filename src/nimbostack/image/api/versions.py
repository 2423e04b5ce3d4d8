"""Image API version discovery at / and /versions (what keystoneauth reads first)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response

CURRENT = "v2.16"
SUPPORTED = [
    "v2.15", "v2.13", "v2.12", "v2.11", "v2.10", "v2.9", "v2.8", "v2.7", "v2.6", "v2.5",
    "v2.4", "v2.3", "v2.2", "v2.1", "v2.0",
]  # fmt: skip


def _versions(req: ApiRequest) -> dict[str, Any]:
    href = f"{str(req.http.base_url).rstrip('/')}/v2/"
    entries = [{"id": CURRENT, "status": "CURRENT"}]
    entries += [{"id": v, "status": "SUPPORTED"} for v in SUPPORTED]
    for entry in entries:
        entry["links"] = [{"rel": "self", "href": href}]  # type: ignore[assignment]
    return {"versions": entries}


async def list_versions(req: ApiRequest) -> Response:
    """``/``: 300 Multiple Choices, as Glance answers an unversioned request."""
    return json_response(_versions(req), status=300)


async def show_versions(req: ApiRequest) -> Response:
    return json_response(_versions(req))
