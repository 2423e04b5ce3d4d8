"""The JSON shapes of metadef namespaces, objects, properties, tags and associations."""

from __future__ import annotations

from typing import Any

from nimbostack.core.db import Database
from nimbostack.image.api.metadefs.common import BASE, compact, stamps
from nimbostack.image.db.models import (
    MetadefAssociation,
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefTag,
)
from nimbostack.image.objects import metadef_items as items


def namespace_view(ns: MetadefNamespace) -> dict[str, Any]:
    return {
        "namespace": ns.namespace,
        "display_name": ns.display_name,
        "description": ns.description,
        "visibility": ns.visibility,
        "protected": ns.protected,
        "owner": ns.owner,
        "schema": "/v2/schemas/metadefs/namespace",
        "self": f"{BASE}/{ns.namespace}",
    }


def association_view(link: MetadefAssociation) -> dict[str, Any]:
    body = {
        "name": link.resource_type,
        "prefix": link.prefix,
        "properties_target": link.properties_target,
    }
    return compact(body) | stamps(link.created_at, link.updated_at)


def object_view(obj: MetadefObject, namespace: str) -> dict[str, Any]:
    return {
        "name": obj.name,
        **obj.body,
        "schema": "/v2/schemas/metadefs/object",
        "self": f"{BASE}/{namespace}/objects/{obj.name}",
        **stamps(obj.created_at, obj.updated_at),
    }


def property_view(prop: MetadefProperty) -> dict[str, Any]:
    return {"name": prop.name, **prop.body}


def tag_view(tag: MetadefTag) -> dict[str, Any]:
    return {"name": tag.name, **stamps(tag.created_at, tag.updated_at)}


async def item_views(db: Database, ns: MetadefNamespace) -> dict[str, Any]:
    """A namespace's contents, as its show document embeds them (non-empty ones only)."""
    views: dict[str, Any] = {}
    props = await items.list_in(db, MetadefProperty, ns.id)
    if props:
        views["properties"] = {p.name: p.body for p in props}
    objs = await items.list_in(db, MetadefObject, ns.id)
    if objs:
        views["objects"] = [object_view(o, ns.namespace) for o in objs]
    tags = await items.list_in(db, MetadefTag, ns.id)
    if tags:
        views["tags"] = [{"name": t.name} for t in tags]
    return views
