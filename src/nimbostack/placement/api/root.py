"""The version document at / (public, as in placement)."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.placement.versions import MAX_VERSION, MIN_VERSION


async def show_versions(req: ApiRequest) -> Response:
    version = {
        "id": "v1.0",
        "status": "CURRENT",
        "min_version": str(MIN_VERSION),
        "max_version": str(MAX_VERSION),
        "links": [{"rel": "self", "href": ""}],
    }
    return json_response({"versions": [version]})
