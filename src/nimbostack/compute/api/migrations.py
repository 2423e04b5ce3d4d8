"""``os-migrations`` (admin) and ``/servers/{id}/migrations``: move records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api import paging
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import load_server
from nimbostack.compute.db.models import Migration
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.core.errors import BadRequest
from nimbostack.core.timeutil import iso, parse_iso

_FILTERS = ("host", "status", "instance_uuid", "migration_type", "source_compute")


def _time(ts: float | None) -> str | None:
    value = iso(ts, micro=True)
    return value[:-1] if value else None


def _flavor_number(flavorid: str | None) -> int | None:
    """Nova shows its internal integer flavor id; ours are the flavor ids, when numeric."""
    return bounded_int(flavorid, 0, MAX_INT) if flavorid else None


def _view(req: ApiRequest, m: Migration) -> dict[str, Any]:
    version = req.version or Version(2, 1)
    body: dict[str, Any] = {
        "id": m.id,
        "instance_uuid": m.instance_uuid,
        "status": m.status,
        "source_compute": m.source_compute,
        "dest_compute": m.dest_compute,
        "source_node": m.source_node,
        "dest_node": m.dest_node,
        "dest_host": m.dest_compute,
        "old_instance_type_id": _flavor_number(m.old_flavor_id),
        "new_instance_type_id": _flavor_number(m.new_flavor_id),
        "created_at": _time(m.created_at),
        "updated_at": _time(m.updated_at),
    }
    if version.matches("2.23"):
        body["migration_type"] = m.migration_type
        body["links"] = []
    if version.matches("2.59"):
        body["uuid"] = m.uuid
    if version.matches("2.80"):
        body["project_id"] = m.project_id
        body["user_id"] = m.user_id
    return body


async def list_migrations(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-migrations:index")
    stmt = select(Migration)
    query = req.query
    if query.get("host"):
        host = query["host"]
        stmt = stmt.where((Migration.source_compute == host) | (Migration.dest_compute == host))
    for name in ("status", "instance_uuid", "migration_type", "source_compute"):
        if query.get(name):
            stmt = stmt.where(getattr(Migration, name) == query[name])
    for name in ("project_id", "user_id"):
        if query.get(name):
            stmt = stmt.where(getattr(Migration, name) == query[name])
    if query.get("changes-since"):
        try:
            stmt = stmt.where(Migration.updated_at >= parse_iso(query["changes-since"]))
        except ValueError:
            raise BadRequest("Invalid input for query parameters changes-since.") from None
    page = _page(req)
    async with state_of(req).db.reader() as s:
        rows = list((await s.scalars(await page.apply(s, stmt))).all())
    body: dict[str, Any] = {"migrations": [_view(req, m) for m in rows]}
    links = paging.next_links(req, "/os-migrations", page.limit, [m.uuid for m in rows])
    if links and (req.version or Version(2, 1)).matches("2.59"):
        body["migrations_links"] = links
    return json_response(body)


def _page(req: ApiRequest) -> Page:
    """Newest first; from 2.59 a page after the ``marker`` migration uuid."""
    newest = [
        SortKey("created_at", Migration.created_at, ascending=False),
        SortKey("id", Migration.id, ascending=False),
    ]
    if not (req.version or Version(2, 1)).matches("2.59"):
        return Page(Migration.uuid, newest, paging.limit_param(req))
    return Page(Migration.uuid, newest, paging.page_size(req), req.query.get("marker"))


async def list_server_migrations(req: ApiRequest) -> Response:
    """In-progress live migrations of one server (2.23+)."""
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-migrations:index")
    async with state.db.session() as s:
        rows = await s.scalars(
            select(Migration).where(
                Migration.instance_uuid == instance.uuid,
                Migration.migration_type == "live-migration",
                Migration.status.in_(("queued", "preparing", "running", "post-migrating")),
            )
        )
        found = [_view(req, m) for m in rows]
    return json_response({"migrations": found})
