"""A server's security groups: ``addSecurityGroup``, ``removeSecurityGroup`` and
``GET /servers/{id}/os-security-groups``.

As in Nova with Neutron, the groups live on the server's ports: adding one adds it to
every port of the server, removing takes it off every port, and the server's groups
are the union of its ports' groups. The networking service is called with the
caller's token, so another project's group is not found.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from nimbostack.clients.network import NetworkClient, NetworkError
from nimbostack.compute.api.deps import ApiState, state_of, user_networks
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Conflict, NotFound, ServiceUnavailable

LOG = logging.getLogger(__name__)
_ATTEMPTS = 10


async def _client(req: ApiRequest, state: ApiState) -> NetworkClient:
    client = await user_networks(req.context, state)
    if client is None:
        raise BadRequest("Networking is not available.")
    return client


def _failed(exc: NetworkError) -> ServiceUnavailable:
    return ServiceUnavailable(f"The networking service failed: {exc.message}")


async def _find_group(client: NetworkClient, instance: Instance, name: str) -> dict[str, Any]:
    """The group with that id, else the one of the server's project with that name."""
    if _is_uuid(name):
        found = await client.get_security_group(name)
        if found is not None:
            return found
    named = await client.list_security_groups(name=name, project_id=instance.project_id)
    if len(named) > 1:
        raise Conflict(f"Multiple security_group matches found for name '{name}', use an ID.")
    if not named:
        raise NotFound(f"Security group {name} not found.")
    return named[0]


async def _ports(client: NetworkClient, instance: Instance) -> list[dict[str, Any]]:
    ports = await client.list_ports(device_id=instance.uuid)
    if not ports:
        raise NotFound(f"instance_id {instance.uuid} could not be found as device id on any ports")
    return ports


async def add_security_group(req: ApiRequest, instance: Instance, body: Any) -> Response:
    name = str(body["name"])
    client = await _client(req, state_of(req))
    try:
        group = await _find_group(client, instance, name)
        ports = await _ports(client, instance)
        missing = [p for p in ports if group["id"] not in (p.get("security_groups") or [])]
        if not missing:
            raise BadRequest(
                f"Security group {name} is already associated with the instance {instance.uuid}"
            )
        for port in missing:
            if port.get("port_security_enabled") is False:
                raise BadRequest(
                    "Network requires port_security_enabled and subnet associated in order "
                    "to apply security groups."
                )
        for port in missing:
            await _change(
                client, port, lambda gs: [*gs, group["id"]] if group["id"] not in gs else gs
            )
    except NetworkError as exc:
        if exc.status == 400:
            raise BadRequest(exc.message) from None
        raise _failed(exc) from None
    finally:
        await client.close()
    return empty(202)


async def remove_security_group(req: ApiRequest, instance: Instance, body: Any) -> Response:
    name = str(body["name"])
    client = await _client(req, state_of(req))
    try:
        group = await _find_group(client, instance, name)
        ports = await _ports(client, instance)
        having = [p for p in ports if group["id"] in (p.get("security_groups") or [])]
        if not having:
            raise BadRequest(
                f"Security group {name} not associated with the instance {instance.uuid}"
            )
        for port in having:
            await _change(client, port, lambda gs: [g for g in gs if g != group["id"]])
    except NetworkError as exc:
        if exc.status == 400:
            raise BadRequest(exc.message) from None
        raise _failed(exc) from None
    finally:
        await client.close()
    return empty(202)


async def _change(
    client: NetworkClient, port: dict[str, Any], change: Callable[[list[str]], list[str]]
) -> None:
    """Write the port's groups changed by ``change``, only if nobody changed the port
    since it was read (its revision); else read it again and retry, so two concurrent
    changes of one server's groups both land."""
    for _attempt in range(_ATTEMPTS):
        groups = list(port.get("security_groups") or [])
        wanted = change(groups)
        if wanted == groups:
            return
        try:
            await client.update_port(
                port["id"], revision=port["revision_number"], security_groups=wanted
            )
            return
        except NetworkError as exc:
            if exc.status != 412:
                raise
        fresh = await client.get_port(port["id"])
        if fresh is None:
            return  # the port went: nothing to change on it
        port = fresh
    raise Conflict(f"Port {port['id']} kept changing; try again.")


async def groups_of(req: ApiRequest, state: ApiState, instance: Instance) -> list[dict[str, Any]]:
    """The server's groups (the union of its ports' groups), as the networking service
    shows them to the caller, in the order first seen."""
    client = await user_networks(req.context, state)
    if client is None:
        return []
    try:
        ids: list[str] = []
        for port in await client.list_ports(device_id=instance.uuid):
            ids += [g for g in port.get("security_groups") or [] if g not in ids]
        found = []
        for group_id in ids:
            group = await client.get_security_group(group_id)
            if group is not None:
                found.append(group)
        return found
    finally:
        await client.close()


async def names_of(req: ApiRequest, state: ApiState, instance: Instance) -> list[dict[str, str]]:
    """``security_groups`` of a server's view; what it held before if networking fails."""
    try:
        return [
            {"name": str(g.get("name") or g["id"])} for g in await groups_of(req, state, instance)
        ]
    except NetworkError as exc:
        LOG.warning("compute: security groups of %s not shown: %s", instance.uuid, exc)
        return [{"name": "default"}]


_CHUNK = 50  # servers per port query (ids repeat in its URL)


async def names_by_server(
    req: ApiRequest, state: ApiState, server_ids: list[str]
) -> dict[str, list[dict[str, str]]]:
    """``security_groups`` of many servers' views, in two kinds of queries (ports by
    device, then the groups); empty if networking fails (the views keep theirs)."""
    client = await user_networks(req.context, state) if server_ids else None
    if client is None:
        return {}
    try:
        ports: list[dict[str, Any]] = []
        for start in range(0, len(server_ids), _CHUNK):
            ports += await client.list_ports(device_id=server_ids[start : start + _CHUNK])
        ids = sorted({g for p in ports for g in p.get("security_groups") or []})
        names: dict[str, str] = {}
        for start in range(0, len(ids), _CHUNK):
            for group in await client.list_security_groups(id=ids[start : start + _CHUNK]):
                names[group["id"]] = str(group.get("name") or group["id"])
    except NetworkError as exc:
        LOG.warning("compute: security groups of servers not shown: %s", exc)
        return {}
    finally:
        await client.close()
    found: dict[str, list[dict[str, str]]] = {}
    for port in ports:
        shown = found.setdefault(str(port.get("device_id")), [])
        for group_id in port.get("security_groups") or []:
            entry = {"name": names.get(group_id, group_id)}
            if entry not in shown:
                shown.append(entry)
    return found


async def list_groups(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-security-groups:list", target(instance))
    try:
        groups = await groups_of(req, state, instance)
    except NetworkError as exc:
        raise _failed(exc) from None
    return json_response({"security_groups": [_view(g) for g in groups]})


def _view(group: dict[str, Any]) -> dict[str, Any]:
    """A group in Nova's shape (rules as nova-network rules: ingress only)."""
    return {
        "id": group["id"],
        "name": group.get("name", ""),
        "description": group.get("description", ""),
        "tenant_id": group.get("project_id") or group.get("tenant_id", ""),
        "rules": [
            _rule(group["id"], r)
            for r in group.get("security_group_rules") or []
            if r.get("direction") == "ingress"
        ],
    }


def _rule(group_id: str, rule: dict[str, Any]) -> dict[str, Any]:
    prefix = rule.get("remote_ip_prefix")
    return {
        "id": rule.get("id"),
        "parent_group_id": group_id,
        "ip_protocol": rule.get("protocol"),
        "from_port": rule.get("port_range_min", -1)
        if rule.get("port_range_min") is not None
        else -1,
        "to_port": rule.get("port_range_max") if rule.get("port_range_max") is not None else -1,
        "ip_range": {"cidr": prefix} if prefix else {},
        "group": {"name": rule["remote_group_id"]} if rule.get("remote_group_id") else {},
    }


ACTIONS = {
    "addSecurityGroup": add_security_group,
    "removeSecurityGroup": remove_security_group,
}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
