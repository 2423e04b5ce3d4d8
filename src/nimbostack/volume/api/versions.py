"""Version discovery: ``/`` (300 Multiple Choices) and ``/v3`` describe Cinder's v3.0."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.volume.api.scope import base_url
from nimbostack.volume.versions import MAX_VERSION, MIN_VERSION, UPDATED


def _v3(req: ApiRequest) -> dict[str, Any]:
    return {
        "id": "v3.0",
        "status": "CURRENT",
        "version": str(MAX_VERSION),
        "min_version": str(MIN_VERSION),
        "updated": UPDATED,
        "links": [
            {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
            {"rel": "self", "href": f"{base_url(req)}/v3/"},
        ],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}
        ],
    }


async def list_versions(req: ApiRequest) -> Response:
    return json_response({"versions": [_v3(req)]}, 300)


async def show_v3(req: ApiRequest) -> Response:
    return json_response({"versions": [_v3(req)]})
