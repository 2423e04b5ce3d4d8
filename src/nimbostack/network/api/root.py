"""The version documents at ``/`` and ``/v2.0``, and ``/v2.0/extensions``."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.network.errors import ExtensionNotFound
from nimbostack.network.extensions import Extension
from nimbostack.network.state import state_of

CORE_RESOURCES = (("network", "networks"), ("subnet", "subnets"), ("subnetpool", "subnetpools"),
                  ("port", "ports"))  # fmt: skip
EXTENSIONS = (
    Extension(
        "project-id",
        "project_id field enabled",
        "Extension that indicates that project_id field is enabled.",
        "2016-09-09T09:09:09-09:09",
    ),
    Extension(
        "pagination",
        "Pagination support",
        "Extension that indicates that pagination is enabled.",
        "2016-06-12T00:00:00-00:00",
    ),
    Extension(
        "sorting",
        "Sorting support",
        "Extension that indicates that sorting is enabled.",
        "2016-06-12T00:00:00-00:00",
    ),
    Extension(
        "filter-validation",
        "Filter parameters validation",
        "Provides validation on filter parameters.",
        "2018-07-04T10:00:00-00:00",
    ),
    Extension(
        "empty-string-filtering",
        "Empty String Filtering Extension",
        "Allow filtering by attributes with empty string value",
        "2018-05-01T10:00:00-00:00",
    ),
    Extension(
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
        "2016-02-10T10:00:00-00:00",
    ),
    Extension(
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have "
        "Neutron standard attributes.",
        "2016-09-12T10:00:00-00:00",
    ),
    Extension(
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
        "2016-04-11T10:00:00-00:00",
    ),
    Extension(
        "revision-if-match",
        "If-Match constraints based on revision_number",
        "Extension indicating that If-Match based on revision_number is supported.",
        "2016-12-11T00:00:00-00:00",
    ),
)


def _base(req: ApiRequest) -> str:
    url = req.http.url
    return f"{url.scheme}://{url.netloc}"


async def show_versions(req: ApiRequest) -> Response:
    version = {
        "id": "v2.0",
        "status": "CURRENT",
        "links": [{"href": f"{_base(req)}/v2.0/", "rel": "self"}],
    }
    return json_response({"versions": [version]})


async def show_v2(req: ApiRequest) -> Response:
    resources = [
        {
            "name": name,
            "collection": collection,
            "links": [{"href": f"{_base(req)}/v2.0/{collection}", "rel": "self"}],
        }
        for name, collection in CORE_RESOURCES
    ]
    return json_response({"resources": resources})


async def list_extensions(req: ApiRequest) -> Response:
    found = [ext.view() for ext in state_of(req).extensions.all()]
    return json_response({"extensions": found})


async def show_extension(req: ApiRequest) -> Response:
    alias = req.param("alias")
    ext = state_of(req).extensions.get(alias)
    if ext is None:
        raise ExtensionNotFound(alias=alias)
    return json_response({"extension": ext.view()})
