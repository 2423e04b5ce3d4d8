"""The devstack-like topology `nimbostack up` makes, through the networking API as the admin.

- ``public``: the external network, flat on physical network ``public`` (the host's
  ``br-ex``), with ``public-subnet`` 172.24.4.0/24, gateway .1 (the host side) and
  addresses .10 on for routers and floating IPs; the subnet follows ``[network_l3]
  external_bridge_address``, the host's address on ``br-ex``;
- ``shared-default-subnetpool-v4``: 10.0.0.0/16, /26 subnets by default, shared, the
  default pool for IPv4;
- ``private`` for the demo project, with ``private-subnet`` 10.0.0.0/26 from that pool;
- ``router1`` for the demo project, with its gateway on ``public`` and an interface on
  ``private-subnet`` (as devstack makes it).

Each step finds its resource by name first, so a restart changes nothing.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from nimbostack.clients.identity import FixedAuth, password_session, project_id
from nimbostack.clients.network import NetworkClient
from nimbostack.core.service import Runtime

LOG = logging.getLogger("nimbostack.topology")
PUBLIC = {
    "name": "public",
    "router:external": True,
    "is_default": True,
    "provider:network_type": "flat",
    "provider:physical_network": "public",
}
PUBLIC_GATEWAY = "172.24.4.1/24"
PUBLIC_SUBNET = {
    "name": "public-subnet",
    "ip_version": 4,
    "cidr": "172.24.4.0/24",
    "gateway_ip": "172.24.4.1",
    "allocation_pools": [{"start": "172.24.4.10", "end": "172.24.4.254"}],
    "enable_dhcp": False,
}


def public_subnet(gateway: str) -> dict[str, Any]:
    """``public-subnet`` around the host's ``address/prefix`` on the external bridge."""
    host = ipaddress.ip_interface(gateway or PUBLIC_GATEWAY)
    net = host.network
    return {
        **PUBLIC_SUBNET,
        "cidr": str(net),
        "gateway_ip": str(host.ip),
        "allocation_pools": [{"start": str(net[10]), "end": str(net[-2])}],
    }


POOL = {
    "name": "shared-default-subnetpool-v4",
    "prefixes": ["10.0.0.0/16"],
    "default_prefixlen": 26,
    "shared": True,
    "is_default": True,
}
PRIVATE_SUBNET = {"name": "private-subnet", "ip_version": 4, "cidr": "10.0.0.0/26"}
ROUTER = "router1"


async def _network(client: NetworkClient, fields: dict[str, Any]) -> dict[str, Any]:
    found = await client.list_networks(name=fields["name"], project_id=fields["project_id"])
    return found[0] if found else await client.create_network(**fields)


async def _subnet(
    client: NetworkClient, net: dict[str, Any], fields: dict[str, Any]
) -> dict[str, Any]:
    found = await client.list_subnets(network_id=net["id"], name=fields["name"])
    if found:
        return found[0]
    return await client.create_subnet(network_id=net["id"], project_id=net["project_id"], **fields)


async def _router(
    client: NetworkClient, public: dict[str, Any], private_subnet: dict[str, Any]
) -> None:
    """The demo's router: gateway on public, an interface on the private subnet."""
    project = private_subnet["project_id"]
    found = await client.list_routers(name=ROUTER, project_id=project)
    router = (
        found[0]
        if found
        else await client.create_router(
            name=ROUTER, project_id=project, external_gateway_info={"network_id": public["id"]}
        )
    )
    attached = await client.list_ports(
        device_id=router["id"],
        device_owner="network:router_interface",
        fixed_ips=[f"subnet_id={private_subnet['id']}"],
    )
    if not attached:
        await client.add_router_interface(router["id"], private_subnet["id"])


async def build(
    client: NetworkClient,
    admin_project: str,
    demo_project: str,
    public_gateway: str = PUBLIC_GATEWAY,
) -> None:
    """Make whatever of the topology is missing."""
    public = await _network(client, {**PUBLIC, "project_id": admin_project})
    await _subnet(client, public, public_subnet(public_gateway))
    pools = await client.list_subnetpools(name=POOL["name"])
    pool = pools[0] if pools else await client.create_subnetpool(**POOL)
    private = await _network(client, {"name": "private", "project_id": demo_project})
    private_subnet = await _subnet(client, private, {**PRIVATE_SUBNET, "subnetpool_id": pool["id"]})
    await _router(client, public, private_subnet)


async def ensure_topology(runtime: Runtime, admin_password: str) -> None:
    """Log in as the admin and build the topology (in the background of `up`)."""
    auth_url = runtime.url("identity", "/v3")
    session = await password_session(auth_url, "admin", admin_password, "admin")
    admin_project = await project_id(auth_url, session.token, "admin")
    demo_project = await project_id(auth_url, session.token, "demo")
    client = NetworkClient(FixedAuth(session))
    try:
        gateway = str(runtime.conf.network_l3.external_bridge_address)
        await build(client, admin_project, demo_project, gateway)
        LOG.info("network topology ready (public, default pool, demo's private and router1)")
    finally:
        await client.close()
