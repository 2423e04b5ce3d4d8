"""What every networking handler reads off a request: the caller's scope and If-Match."""

from __future__ import annotations

from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.schema import MAX_BIGINT
from nimbostack.network.errors import HTTPBadRequest
from nimbostack.network.objects.scope import Scope

_PREFIX = "revision_number="


def scope(req: ApiRequest) -> Scope:
    return Scope.of(req.context)


def if_match(req: ApiRequest) -> int | None:
    """The revision an ``If-Match: revision_number=N`` header constrains the change to."""
    header = req.http.headers.get("if-match")
    if not header:
        return None
    found = None
    for tag in (t.strip().strip('"') for t in header.split(",")):
        if not tag.startswith(_PREFIX):
            continue
        if found is not None:
            raise HTTPBadRequest("Multiple revision_number etags are not supported.")
        found = bounded_int(tag[len(_PREFIX) :], 0, MAX_BIGINT)
        if found is None:
            raise HTTPBadRequest(
                "Revision number etag must be in the format of revision_number=<int>"
            )
    return found
