"""Subnet create, update and delete.

Every change takes the network's row lock first, so the overlap check, the pools and
the addresses ports hold are read and written without a concurrent port create or
subnet create in between (PostgreSQL; SQLite writers run alone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors, ipam
from nimbostack.network.db.models import (
    AllocationPool,
    DnsNameServer,
    IPAllocation,
    Port,
    Subnet,
    SubnetRoute,
)
from nimbostack.network.ipam import Pool
from nimbostack.network.objects import carving, networks, quotas, standard, subnetpools, subnets
from nimbostack.network.objects import subnet_rules as rules
from nimbostack.network.objects.scope import Scope

# Ports whose addresses go away with the subnet instead of keeping it in use.
RELEASED_WITH_SUBNET = ("network:dhcp",)
NO_AUTO_ADDRESS = ("network:router_interface", "network:router_interface_distributed")


def _bad(message: str) -> errors.HTTPBadRequest:
    return errors.HTTPBadRequest(f"Bad subnets request: {message}.")


async def _cidr(s: AsyncSession, scope: Scope, item: dict[str, Any]) -> tuple[str, int, str | None]:
    """The subnet's CIDR, IP version and pool (carved from the pool if it has one)."""
    pool_id = item.get("subnetpool_id")
    if pool_id and item.get("use_default_subnetpool"):
        raise _bad("subnetpool_id and use_default_subnetpool cannot both be specified")
    version: int = item["ip_version"]
    cidr: str | None = item.get("cidr")
    if cidr is not None:
        rules.check_version(version, cidr, "cidr")
    if not pool_id and item.get("use_default_subnetpool"):
        pool_id = await subnetpools.default_for(s, scope, version)
        if pool_id is None:
            raise _bad(f"No default subnetpool found for IPv{version}")
    if pool_id:
        cidr, pool = await carving.carve(
            s, scope, pool_id, cidr=cidr, prefixlen=item.get("prefixlen"), ip_version=version
        )
        return cidr, pool.ip_version, pool.id
    if cidr is None:
        raise _bad("a subnetpool must be specified in the absence of a cidr")
    return cidr, version, None


def _pools(item: dict[str, Any], cidr: str, version: int, gateway: str | None) -> list[Pool]:
    if not item.get("allocation_pools"):
        return ipam.default_pools(cidr, gateway)
    pools = [ipam.parse_pool(p["start"], p["end"], version) for p in item["allocation_pools"]]
    ipam.check_pools(pools, cidr, gateway)
    return pools


async def create(
    s: AsyncSession, conf: Config, scope: Scope, item: dict[str, Any], network_id: str
) -> str:
    """Create the subnet of a parsed request on a network the caller may use; its id."""
    # The quota lock first, then the network's: the order every create takes them in.
    await quotas.check(s, conf, item["project_id"], {"subnet": 1})
    await networks.lock(s, scope, network_id)
    cidr, version, pool_id = await _cidr(s, scope, item)
    enable_dhcp = item.get("enable_dhcp", True)
    rules.check_cidr(cidr, enable_dhcp)
    rules.check_ipv6_modes(item, version, cidr)
    gateway = item["gateway_ip"] if "gateway_ip" in item else rules.default_gateway(cidr)
    if gateway is not None:
        rules.check_gateway(cidr, gateway)
    pools = _pools(item, cidr, version, gateway)
    dns, routes = item.get("dns_nameservers", []), item.get("host_routes", [])
    rules.check_dns(dns, int(conf.network.max_dns_nameservers), version, "new subnet")
    rules.check_routes(routes, int(conf.network.max_subnet_host_routes), version, "new subnet")
    others = await s.execute(
        select(Subnet.cidr, Subnet.subnetpool_id, Subnet.ip_version).where(
            Subnet.network_id == network_id
        )
    )
    existing = others.all()
    rules.check_overlap(cidr, [row[0] for row in existing], network_id)
    if any(row[2] == version and row[1] != pool_id for row in existing):
        raise _bad("Subnets hosted on the same network must be allocated from the same subnet pool")
    subnet = Subnet(
        **standard.stamp(
            id=standard.new_id(),
            project_id=item["project_id"],
            name=item.get("name", ""),
            description=item.get("description", ""),
            network_id=network_id,
            ip_version=version,
            cidr=cidr,
            gateway_ip=gateway,
            enable_dhcp=enable_dhcp,
            ipv6_ra_mode=item.get("ipv6_ra_mode"),
            ipv6_address_mode=item.get("ipv6_address_mode"),
            subnetpool_id=pool_id,
        )
    )
    s.add(subnet)
    await s.flush()
    await _write_children(s, subnet.id, pools, dns, routes)
    if item.get("tags"):
        await standard.set_tags(s, subnets.TAGS, subnet.id, item["tags"])
    if ipam.is_auto_address(subnet):
        await _address_existing_ports(s, subnet)
    return subnet.id


async def _write_children(
    s: AsyncSession,
    subnet_id: str,
    pools: list[Pool] | None,
    dns: list[str] | None,
    routes: list[dict[str, str]] | None,
) -> None:
    if pools is not None:
        await s.execute(delete(AllocationPool).where(AllocationPool.subnet_id == subnet_id))
        s.add_all(
            AllocationPool(subnet_id=subnet_id, first_ip=p.start, last_ip=p.end) for p in pools
        )
    if dns is not None:
        await s.execute(delete(DnsNameServer).where(DnsNameServer.subnet_id == subnet_id))
        s.add_all(DnsNameServer(subnet_id=subnet_id, address=a, order=n) for n, a in enumerate(dns))
    if routes is not None:
        await s.execute(delete(SubnetRoute).where(SubnetRoute.subnet_id == subnet_id))
        s.add_all(
            SubnetRoute(subnet_id=subnet_id, destination=r["destination"], nexthop=r["nexthop"])
            for r in routes
        )
    await s.flush()


async def _address_existing_ports(s: AsyncSession, subnet: Subnet) -> None:
    """A new SLAAC subnet gives every port already on the network its EUI-64 address."""
    ports = await s.execute(
        select(Port.id, Port.mac_address).where(
            Port.network_id == subnet.network_id, Port.device_owner.not_in(NO_AUTO_ADDRESS)
        )
    )
    s.add_all(
        IPAllocation(
            subnet_id=subnet.id,
            ip_address=ipam.eui64(subnet.cidr, mac),
            port_id=port_id,
            network_id=subnet.network_id,
        )
        for port_id, mac in ports
    )
    await s.flush()


async def update(
    s: AsyncSession,
    conf: Config,
    scope: Scope,
    subnet_id: str,
    changes: dict[str, Any],
    *,
    expected: int | None,
) -> None:
    current = await subnets.find(s, scope, subnet_id)
    await networks.lock(s, Scope.admin(), current["network_id"])
    version, cidr = current["ip_version"], current["cidr"]
    gateway = changes["gateway_ip"] if "gateway_ip" in changes else current["gateway_ip"]
    if "gateway_ip" in changes and gateway is not None:
        rules.check_gateway(cidr, gateway)
    pools = None
    if "allocation_pools" in changes:
        pools = _pools(changes, cidr, version, gateway) if changes["allocation_pools"] else []
    elif "gateway_ip" in changes and gateway is not None:
        kept = [ipam.parse_pool(p["start"], p["end"], version) for p in current["allocation_pools"]]
        ipam.check_pools(kept, cidr, gateway)
    if "enable_dhcp" in changes:
        rules.check_cidr(cidr, changes["enable_dhcp"])
        if not changes["enable_dhcp"] and (current["ipv6_ra_mode"] or current["ipv6_address_mode"]):
            raise rules.invalid("Cannot disable enable_dhcp with ipv6 attributes set")
    dns, routes = changes.get("dns_nameservers"), changes.get("host_routes")
    if dns is not None:
        rules.check_dns(dns, int(conf.network.max_dns_nameservers), version, subnet_id)
    if routes is not None:
        rules.check_routes(routes, int(conf.network.max_subnet_host_routes), version, subnet_id)
    values: dict[str, Any] = {
        k: changes[k] for k in ("name", "description", "enable_dhcp") if k in changes
    }
    if "gateway_ip" in changes:
        values["gateway_ip"] = gateway
    await _write_children(s, subnet_id, pools, dns, routes)
    await standard.bump(s, Subnet, subnet_id, expected, **values)


async def delete_subnet(
    s: AsyncSession, scope: Scope, subnet_id: str, expected: int | None
) -> None:
    """Delete a subnet no port needs (409 SubnetInUse otherwise)."""
    current = await subnets.find(s, scope, subnet_id)
    await networks.lock(s, Scope.admin(), current["network_id"])
    if expected is not None and current["revision_number"] != expected:
        raise errors.RevisionNumberConstraintFailed(
            expected=expected, current=current["revision_number"]
        )
    auto = (
        current["ipv6_address_mode"] in ipam.AUTO_ADDRESS_MODES
        or current["ipv6_ra_mode"] in ipam.AUTO_ADDRESS_MODES
    )
    if not auto:
        holder = await s.scalar(
            select(IPAllocation.port_id)
            .join(Port, Port.id == IPAllocation.port_id)
            .where(
                IPAllocation.subnet_id == subnet_id,
                Port.device_owner.not_in(RELEASED_WITH_SUBNET),
            )
            .limit(1)
        )
        if holder is not None:
            raise errors.SubnetInUse(subnet_id=subnet_id)
    await standard.clear_tags(s, subnets.TAGS, [subnet_id])
    await s.execute(delete(Subnet).where(Subnet.id == subnet_id))
