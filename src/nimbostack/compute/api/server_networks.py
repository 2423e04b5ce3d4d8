"""A create request's ``networks``: checked against the networking service up front.

Each network and port is looked up with the caller's own token, so one another project
owns (and does not share) is simply not found: 400, as Nova answers. A port already
attached to a device is 409 ``PortInUse``. ``auto`` takes the one network the project
can use, or has the networking service make the project's auto-allocated topology when
it has none; ``none`` (or no networking service in the catalog) boots without ports.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from nimbostack.clients.network import NetworkClient, NetworkError
from nimbostack.compute.api.deps import ApiState, user_networks
from nimbostack.compute.network_info import RequestedNetwork
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest, Conflict, ServiceUnavailable


async def requested(
    req: ApiRequest, state: ApiState, networks: Any, count: int
) -> list[RequestedNetwork]:
    """The checked ``networks`` of a request for ``count`` servers (empty: no ports)."""
    if not networks or networks == "none":
        return []
    client = await user_networks(req.context, state)
    if client is None:
        if networks == "auto":
            return []
        raise BadRequest("Requested networks are not available: networking is not available.")
    try:
        if networks == "auto":
            return await _auto(client, req.context.project_id or "")
        return [await _checked(client, entry, count) for entry in networks]
    except NetworkError as exc:
        raise ServiceUnavailable(f"The networking service failed: {exc.message}") from None
    finally:
        await client.close()


async def _auto(client: NetworkClient, project_id: str) -> list[RequestedNetwork]:
    """The one network the project can use; with none, its auto-allocated one."""
    found = await auto_network(client)
    if found:
        return [RequestedNetwork(found)]
    try:
        return [RequestedNetwork(await client.auto_allocated_topology(project_id))]
    except NetworkError as exc:
        if exc.status not in (403, 404, 409):
            raise
        raise BadRequest(
            f"Unable to automatically allocate a network for project {project_id}"
        ) from None


async def auto_network(client: NetworkClient) -> str | None:
    """The one network with a subnet the caller can use (None: none; 409: several)."""
    usable = [
        net
        for net in await client.list_networks(**{"router:external": False})
        if net.get("subnets")
    ]
    if len(usable) > 1:
        raise Conflict("Multiple possible networks found, use a Network ID to be more specific.")
    return str(usable[0]["id"]) if usable else None


async def _checked(client: NetworkClient, entry: dict[str, Any], count: int) -> RequestedNetwork:
    fixed_ip = entry.get("fixed_ip")
    if fixed_ip is not None:
        try:
            ipaddress.ip_address(fixed_ip)
        except ValueError:
            raise BadRequest(f"Invalid fixed IP address ({fixed_ip})") from None
    if entry.get("port"):
        return await _port(client, str(entry["port"]), count)
    net_id = str(entry.get("uuid") or "")
    if not _is_uuid(net_id):
        raise BadRequest(f"Bad networks format: network uuid is not in proper format ({net_id})")
    net = await client.get_network(net_id)
    if net is None:
        raise BadRequest(f"Network {net_id} could not be found.")
    if not net.get("subnets"):
        raise BadRequest(f"Network {net_id} requires a subnet in order to boot instances on.")
    return RequestedNetwork(net_id, fixed_ip=fixed_ip)


async def _port(client: NetworkClient, port_id: str, count: int) -> RequestedNetwork:
    if count > 1:
        raise BadRequest(
            "Unable to launch multiple instances with a single configured port ID. "
            "Please launch your instance one by one with different ports."
        )
    if not _is_uuid(port_id):
        raise BadRequest(f"Port id {port_id} could not be found.")
    port = await client.get_port(port_id)
    if port is None:
        raise BadRequest(f"Port id {port_id} could not be found.")
    if port.get("device_id"):
        raise Conflict(f"Port {port_id} is still in use.")
    return RequestedNetwork(port["network_id"], port_id=port_id)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
