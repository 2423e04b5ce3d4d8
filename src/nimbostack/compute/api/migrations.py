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
from nimbostack.core.errors import BadRequest
from nimbostack.core.timeutil import iso, parse_iso

P = "os_compute_api:os-migrations:"
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
    req.enforce(P + "index")
    stmt = select(Migration).order_by(Migration.created_at.desc(), Migration.id.desc())
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
    async with state_of(req).db.session() as s:
        rows = list((await s.scalars(stmt)).all())
    limit = paging.limit_param(req)
    if limit is not None:
        rows = rows[:limit]
    return json_response({"migrations": [_view(req, m) for m in rows]})


async def list_server_migrations(req: ApiRequest) -> Response:
    """In-progress live migrations of one server (2.23+)."""
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce(P + "index")
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
