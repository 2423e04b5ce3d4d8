"""What every metadefs handler shares: finding the namespace, guarding writes, views."""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import Forbidden
from nimbostack.core.timeutil import iso
from nimbostack.image.db.models import MetadefNamespace
from nimbostack.image.objects import metadefs
from nimbostack.image.state import state_of

BASE = "/v2/metadefs/namespaces"
NAME = {"type": "string", "minLength": 1, "maxLength": 255}


def target(ns: MetadefNamespace) -> dict[str, Any]:
    return {"owner": ns.owner, "project_id": ns.owner, "visibility": ns.visibility}


async def readable(req: ApiRequest, rule: str) -> MetadefNamespace:
    """The namespace named in the path, if the caller may see it, after ``rule``."""
    ns = await metadefs.load(state_of(req).db, req.context, req.param("namespace"))
    req.enforce(rule, target(ns))
    return ns


async def writable(req: ApiRequest, rule: str, deleting: bool = False) -> MetadefNamespace:
    """As ``readable``; deleting anything in a protected namespace is refused."""
    ns = await readable(req, rule)
    if deleting and ns.protected:
        raise Forbidden(
            f"Namespace {ns.namespace} is protected; set protected to false before deleting "
            "from it."
        )
    return ns


def stamps(created_at: float, updated_at: float) -> dict[str, str | None]:
    return {"created_at": iso(created_at), "updated_at": iso(updated_at)}


def compact(body: dict[str, Any]) -> dict[str, Any]:
    """Glance leaves unset optional fields out of metadef documents."""
    return {k: v for k, v in body.items() if v is not None}
