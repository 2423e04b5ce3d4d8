"""The networking route table (one line per URL and method) and the extensions it serves.

``EXTENSIONS`` gathers what each served module declares, so ``GET /v2.0/extensions``
lists exactly what these routes implement.
"""

from __future__ import annotations

from nimbostack.core.api.app import Route
from nimbostack.network.api import (
    address_groups,
    agents,
    auto_allocate,
    availability,
    dhcp_agent_scheduler,
    floating_ips,
    l3_hosting,
    networks,
    ports,
    quotas,
    rbac,
    root,
    routers,
    security_groups,
    subnetpools,
    subnets,
    tags,
)
from nimbostack.network.db.models import (
    FloatingIP,
    Network,
    Port,
    Router,
    SecurityGroup,
    Subnet,
    SubnetPool,
)
from nimbostack.network.extensions import Registry
from nimbostack.network.objects import floating_ips as fip_rows
from nimbostack.network.objects import networks as network_rows
from nimbostack.network.objects import ports as port_rows
from nimbostack.network.objects import routers as router_rows
from nimbostack.network.objects import security_groups as group_rows
from nimbostack.network.objects import subnetpools as pool_rows
from nimbostack.network.objects import subnets as subnet_rows
from nimbostack.network.objects.scope import Scope

V2 = "/v2.0"


async def _find_port(s: object, scope: Scope, port_id: str) -> dict[str, object]:
    return await port_rows.find(s, scope, port_id, "")  # type: ignore[arg-type]


TAGGABLE = [
    tags.Taggable(
        "networks", "network", Network, network_rows.find, networks.target, "get_network"
    ),
    tags.Taggable("subnets", "subnet", Subnet, subnet_rows.find, subnets.target, "get_subnet"),
    tags.Taggable("ports", "port", Port, _find_port, ports.target, "get_port"),
    tags.Taggable(
        "subnetpools",
        "subnetpool",
        SubnetPool,
        pool_rows.find,
        subnetpools.target,
        "get_subnetpool",
    ),
    tags.Taggable(
        "security-groups",
        "security_group",
        SecurityGroup,
        group_rows.find,
        security_groups.group_target,
        "get_security_group",
    ),
    tags.Taggable("routers", "router", Router, router_rows.find, routers.target, "get_router"),
    tags.Taggable(
        "floatingips",
        "floatingip",
        FloatingIP,
        fip_rows.find,
        floating_ips.target,
        "get_floatingip",
    ),
]

EXTENSIONS = Registry(
    [
        *root.EXTENSIONS,
        *networks.EXTENSIONS,
        *subnets.EXTENSIONS,
        *ports.EXTENSIONS,
        *security_groups.EXTENSIONS,
        *address_groups.EXTENSIONS,
        *subnetpools.EXTENSIONS,
        *rbac.EXTENSIONS,
        *quotas.EXTENSIONS,
        *availability.EXTENSIONS,
        *agents.EXTENSIONS,
        *routers.EXTENSIONS,
        *floating_ips.EXTENSIONS,
        *dhcp_agent_scheduler.EXTENSIONS,
        *auto_allocate.EXTENSIONS,
        *tags.extensions(TAGGABLE),
    ]
)

NET = f"{V2}/networks/{{network_id}}"
SUBNET = f"{V2}/subnets/{{subnet_id}}"
PORT = f"{V2}/ports/{{port_id}}"
POOL = f"{V2}/subnetpools/{{pool_id}}"
SG = f"{V2}/security-groups/{{security_group_id}}"
RULE = f"{V2}/security-group-rules/{{rule_id}}"
AG = f"{V2}/address-groups/{{ag_id}}"
RBAC = f"{V2}/rbac-policies/{{policy_id}}"
QUOTA = f"{V2}/quotas/{{project_id}}"
ROUTER = f"{V2}/routers/{{router_id}}"
FIP = f"{V2}/floatingips/{{floatingip_id}}"
AUTO = f"{V2}/auto-allocated-topology/{{project_id}}"

ROUTES: list[Route] = [
    Route("GET", "/", root.show_versions, public=True),
    Route("GET", V2, root.show_v2),
    Route("GET", f"{V2}/", root.show_v2),
    Route("GET", f"{V2}/extensions", root.list_extensions),
    Route("GET", f"{V2}/extensions/{{alias}}", root.show_extension),
    Route("GET", f"{V2}/networks", networks.list_networks),
    Route("POST", f"{V2}/networks", networks.create_network),
    Route("GET", NET, networks.show_network),
    Route("PUT", NET, networks.update_network),
    Route("DELETE", NET, networks.delete_network),
    Route("GET", f"{V2}/subnets", subnets.list_subnets),
    Route("POST", f"{V2}/subnets", subnets.create_subnet),
    Route("GET", SUBNET, subnets.show_subnet),
    Route("PUT", SUBNET, subnets.update_subnet),
    Route("DELETE", SUBNET, subnets.delete_subnet),
    Route("GET", f"{V2}/subnetpools", subnetpools.list_subnetpools),
    Route("POST", f"{V2}/subnetpools", subnetpools.create_subnetpool),
    Route("GET", POOL, subnetpools.show_subnetpool),
    Route("PUT", POOL, subnetpools.update_subnetpool),
    Route("DELETE", POOL, subnetpools.delete_subnetpool),
    Route("GET", f"{V2}/ports", ports.list_ports),
    Route("POST", f"{V2}/ports", ports.create_port),
    Route("GET", PORT, ports.show_port),
    Route("PUT", PORT, ports.update_port),
    Route("DELETE", PORT, ports.delete_port),
    Route("GET", f"{V2}/security-groups", security_groups.list_security_groups),
    Route("POST", f"{V2}/security-groups", security_groups.create_security_group),
    Route("GET", SG, security_groups.show_security_group),
    Route("PUT", SG, security_groups.update_security_group),
    Route("DELETE", SG, security_groups.delete_security_group),
    Route("GET", f"{V2}/security-group-rules", security_groups.list_security_group_rules),
    Route("POST", f"{V2}/security-group-rules", security_groups.create_security_group_rule),
    Route("GET", RULE, security_groups.show_security_group_rule),
    Route("DELETE", RULE, security_groups.delete_security_group_rule),
    Route("GET", f"{V2}/address-groups", address_groups.list_address_groups),
    Route("POST", f"{V2}/address-groups", address_groups.create_address_group),
    Route("GET", AG, address_groups.show_address_group),
    Route("PUT", AG, address_groups.update_address_group),
    Route("DELETE", AG, address_groups.delete_address_group),
    Route("PUT", f"{AG}/add_addresses", address_groups.add_addresses),
    Route("PUT", f"{AG}/remove_addresses", address_groups.remove_addresses),
    Route("GET", f"{V2}/rbac-policies", rbac.list_rbac_policies),
    Route("POST", f"{V2}/rbac-policies", rbac.create_rbac_policy),
    Route("GET", RBAC, rbac.show_rbac_policy),
    Route("PUT", RBAC, rbac.update_rbac_policy),
    Route("DELETE", RBAC, rbac.delete_rbac_policy),
    Route("GET", f"{V2}/quotas", quotas.list_quotas),
    Route("GET", QUOTA, quotas.show_quota),
    Route("PUT", QUOTA, quotas.update_quota),
    Route("DELETE", QUOTA, quotas.delete_quota),
    Route("GET", f"{QUOTA}/default", quotas.show_quota_defaults),
    Route("GET", f"{QUOTA}/details", quotas.show_quota_details),
    Route("GET", f"{V2}/availability_zones", availability.list_availability_zones),
    Route("GET", f"{V2}/network-ip-availabilities", availability.list_network_ip_availabilities),
    Route(
        "GET",
        f"{V2}/network-ip-availabilities/{{network_id}}",
        availability.show_network_ip_availability,
    ),
    Route("GET", f"{V2}/routers", routers.list_routers),
    Route("POST", f"{V2}/routers", routers.create_router),
    Route("GET", ROUTER, routers.show_router),
    Route("PUT", ROUTER, routers.update_router),
    Route("DELETE", ROUTER, routers.delete_router),
    Route("PUT", f"{ROUTER}/add_router_interface", routers.add_router_interface),
    Route("PUT", f"{ROUTER}/remove_router_interface", routers.remove_router_interface),
    Route("PUT", f"{ROUTER}/add_extraroutes", routers.add_extraroutes),
    Route("PUT", f"{ROUTER}/remove_extraroutes", routers.remove_extraroutes),
    Route("GET", f"{V2}/floatingips", floating_ips.list_floatingips),
    Route("POST", f"{V2}/floatingips", floating_ips.create_floatingip),
    Route("GET", FIP, floating_ips.show_floatingip),
    Route("PUT", FIP, floating_ips.update_floatingip),
    Route("DELETE", FIP, floating_ips.delete_floatingip),
    Route("GET", f"{V2}/floatingip_pools", floating_ips.list_floatingip_pools),
    Route("GET", AUTO, auto_allocate.show_auto_allocated_topology),
    Route("DELETE", AUTO, auto_allocate.delete_auto_allocated_topology),
    Route("GET", f"{V2}/agents", agents.list_agents),
    Route("GET", f"{V2}/agents/{{agent_id}}", agents.show_agent),
    Route("GET", f"{ROUTER}/l3-agents", l3_hosting.list_l3_agents_hosting_router),
    Route("GET", f"{V2}/agents/{{agent_id}}/l3-routers", l3_hosting.list_routers_on_l3_agent),
    Route("GET", f"{NET}/dhcp-agents", dhcp_agent_scheduler.list_dhcp_agents_hosting_network),
    Route(
        "GET",
        f"{V2}/agents/{{agent_id}}/dhcp-networks",
        dhcp_agent_scheduler.list_networks_on_dhcp_agent,
    ),
    *(route for taggable in TAGGABLE for route in tags.routes(taggable)),
]
