"""Identity version discovery at / and /v3."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.identity.api.links import base_url

UPDATED = "2024-04-01T00:00:00Z"
MEDIA = [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]


def _v3(req: ApiRequest) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{base_url(req)}/v3/"}],
        "media-types": MEDIA,
    }


async def list_versions(req: ApiRequest) -> Response:
    body = {"versions": {"values": [_v3(req)]}}
    return json_response(body, status=300)


async def show_v3(req: ApiRequest) -> Response:
    return json_response({"version": _v3(req)})
