"""Version discovery: ``/`` lists v2.0 and v2.1; ``/v2.1`` describes the microversion range."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute.api.deps import public_url
from nimbostack.core.api.microversion import Version, VersionRange
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response

MIN_VERSION = Version(2, 1)
MAX_VERSION = Version(2, 96)
VERSIONS = VersionRange(
    "compute", MIN_VERSION, MAX_VERSION, legacy_header="X-OpenStack-Nova-API-Version"
)


def _v21(base: str) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": str(MAX_VERSION),
        "min_version": str(MIN_VERSION),
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{base}/v2.1/"}],
    }


def _v20(base: str) -> dict[str, Any]:
    return {
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"rel": "self", "href": f"{base}/v2/"}],
    }


async def list_versions(req: ApiRequest) -> Response:
    base = public_url(req)
    return json_response({"versions": [_v20(base), _v21(base)]})


def _document(version: dict[str, Any], media_version: str) -> Response:
    version["links"].append(
        {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}
    )
    media = "application/vnd.openstack.compute+json;version=" + media_version
    version["media-types"] = [{"base": "application/json", "type": media}]
    return json_response({"version": version})


async def show_v21(req: ApiRequest) -> Response:
    return _document(_v21(public_url(req)), "2.1")


async def show_v20(req: ApiRequest) -> Response:
    """The legacy v2.0 version document (the listing links to it)."""
    return _document(_v20(public_url(req)), "2")
