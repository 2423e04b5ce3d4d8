"""``/v2.0/availability_zones`` and ``/v2.0/network-ip-availabilities``."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from starlette.responses import Response

from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.network import errors, ipam
from nimbostack.network.api import access, listing
from nimbostack.network.db.models import IPAllocation, Network, Subnet
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import subnets, zones
from nimbostack.network.objects.query import ListRequest, Table, select_page
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "availability_zone",
        "Availability Zone",
        "The availability zone extension.",
        "2015-01-01T10:00:00-00:00",
    ),
    Extension(
        "network-ip-availability",
        "Network IP Availability",
        "Provides IP availability data for each network and subnet.",
        "2015-09-24T00:00:00-00:00",
    ),
)
_ZONE_FILTERS = frozenset({"name", "resource", "state"})


async def list_availability_zones(req: ApiRequest) -> Response:
    access.enforce(req, "get_availability_zone", {"project_id": req.context.project_id})
    wanted: dict[str, set[str]] = {}
    for key, value in req.query.multi_items():
        if key == "fields":
            continue
        if key not in _ZONE_FILTERS:
            raise errors.HTTPBadRequest(f"['{key}'] is invalid attribute for filtering")
        wanted.setdefault(key, set()).add(value)
    async with state_of(req).db.reader() as s:
        found = await zones.zones(s)
    items = [
        {"name": name, "resource": resource, "state": state}
        for (name, resource), state in sorted(found.items())
    ]
    items = [i for i in items if all(i[k] in v for k, v in wanted.items())]
    fields = listing.fields_of(req)
    return json_response({"availability_zones": [listing.select_fields(i, fields) for i in items]})


def _versions(values: list[str]) -> list[int]:
    """The IP versions named in an ``ip_version`` filter (other text matches nothing)."""
    return [n for n in (bounded_int(v, 4, 6) for v in values) if n is not None]


TABLE = Table(
    id=Network.id,
    columns={"network_id": Network.id, "project_id": Network.project_id},
    not_found=lambda net_id: errors.NetworkNotFound(net_id=net_id),
    filters={
        "network_name": Network.name.in_,
        "ip_version": lambda values: Network.id.in_(
            select(Subnet.network_id).where(Subnet.ip_version.in_(_versions(values)))
        ),
    },
)


async def _availability(s: Any, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, TABLE, select(Network), req)
    nets = page.finish(list(await s.scalars(stmt)))
    ids = [n.id for n in nets]
    rows = list(await s.scalars(select(Subnet).where(Subnet.network_id.in_(ids))))
    pools = await subnets.pools_of(s, rows)
    used = dict(
        (await s.execute(
            select(IPAllocation.subnet_id, func.count())
            .where(IPAllocation.network_id.in_(ids))
            .group_by(IPAllocation.subnet_id)
        )).all()
    )  # fmt: skip
    per_net: dict[str, list[dict[str, Any]]] = {n: [] for n in ids}
    for sub in rows:
        per_net[sub.network_id].append(
            {
                "subnet_id": sub.id,
                "subnet_name": sub.name,
                "cidr": sub.cidr,
                "ip_version": sub.ip_version,
                "total_ips": ipam.pool_size(pools[sub.id]),
                "used_ips": int(used.get(sub.id, 0)),
            }
        )
    return [
        {
            "network_id": net.id,
            "network_name": net.name,
            "project_id": net.project_id,
            "tenant_id": net.project_id,
            "subnet_ip_availability": per_net[net.id],
            "total_ips": sum(s["total_ips"] for s in per_net[net.id]),
            "used_ips": sum(s["used_ips"] for s in per_net[net.id]),
        }
        for net in nets
    ]


def _big_json(body: dict[str, Any]) -> Response:
    # An IPv6 pool counts beyond 64 bits, which the fast encoder cannot write.
    return Response(json.dumps(body), media_type="application/json")


async def list_network_ip_availabilities(req: ApiRequest) -> Response:
    access.enforce(req, "get_network_ip_availability", {"project_id": req.context.project_id})
    lreq = listing.parse(req, TABLE)
    async with state_of(req).db.reader() as s:
        found = await _availability(s, lreq)
    fields = listing.fields_of(req)
    body: dict[str, Any] = {
        "network_ip_availabilities": [listing.select_fields(n, fields) for n in found]
    }
    links = listing.links(req, found, lreq)
    if links:
        body["network_ip_availabilities_links"] = links
    return _big_json(body)


async def show_network_ip_availability(req: ApiRequest) -> Response:
    access.enforce(req, "get_network_ip_availability", {"project_id": req.context.project_id})
    net_id = req.param("network_id")
    async with state_of(req).db.reader() as s:
        found = await _availability(s, ListRequest(filters={"network_id": [net_id]}))
    if not found:
        raise errors.NetworkNotFound(net_id=net_id)
    item = listing.select_fields(found[0], listing.fields_of(req))
    return _big_json({"network_ip_availability": item})
