"""Networking policy defaults: Neutron's rule names, each written out in full.

``<action>_<resource>`` guards an operation; ``<action>_<resource>:<attribute>`` guards
one attribute: on create and update it is checked when the request sets the attribute
(to something other than its default), on show it decides whether the attribute is
shown at all (provider and binding attributes are for admins and services).

Targets are the resource as the API shows it, plus ``network:project_id`` for what
lives on a network (subnets, ports) and ``security_group:project_id`` for rules.
Neutron's ``field:`` checks are written as literal comparisons on the target:
``'True':%(shared)s``; a port's ``network_device`` says whether its device owner
starts with ``network:``. Which rows a caller can see at all (its own, and what RBAC
shares with it) is decided in SQL; these rules decide what it may do with them.
"""

from __future__ import annotations

from nimbostack.core.auth.policy import RuleDefault

ADMIN = "rule:admin_only"
SERVICE = "rule:service_api"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
PROJECT_MANAGER = "role:manager and project_id:%(project_id)s"
ADMIN_OR_SERVICE = f"{ADMIN} or {SERVICE}"
ADMIN_OR_PROJECT_MEMBER = f"{ADMIN} or ({PROJECT_MEMBER})"
ADMIN_OR_PROJECT_READER = f"{ADMIN} or ({PROJECT_READER})"
ADMIN_OR_PROJECT_MANAGER = f"{ADMIN} or ({PROJECT_MANAGER})"
NET_OWNER_MEMBER = "role:member and rule:network_owner"
NET_OWNER_READER = "role:reader and rule:network_owner"
ADMIN_OR_NET_OWNER_MEMBER = f"({ADMIN}) or ({NET_OWNER_MEMBER})"
ADMIN_OR_SG_OWNER_MEMBER = f"({ADMIN}) or (role:member and rule:sg_owner)"
ADMIN_OR_SG_OWNER_READER = f"({ADMIN}) or (role:reader and rule:sg_owner)"

_BASE = [
    ("context_is_admin", "role:admin", "Cloud admin access"),
    ("admin_only", "rule:context_is_admin", "Admin-only access"),
    ("service_api", "role:service", "Service-to-service APIs"),
    ("network_owner", "project_id:%(network:project_id)s", "Owner of the resource's network"),
    ("sg_owner", "project_id:%(security_group:project_id)s", "Owner of the rule's group"),
    ("shared", "'True':%(shared)s", "A network shared with the caller"),
    ("external", "'True':%(router:external)s", "An external network"),
    ("external_network", "'True':%(router:external)s", "A subnet of an external network"),
    ("network_device", "'True':%(network_device)s", "A port owned by the network itself"),
    ("shared_subnetpools", "'True':%(shared)s", "A subnet pool shared with the caller"),
    ("shared_security_group", "'True':%(shared)s", "A security group shared with the caller"),
    ("shared_address_groups", "'True':%(shared)s", "An address group shared with the caller"),
]

_NETWORK = [
    ("create_network", ADMIN_OR_PROJECT_MEMBER, "Create a network"),
    ("create_network:shared", ADMIN, "Create a shared network"),
    ("create_network:router:external", ADMIN, "Create an external network"),
    ("create_network:is_default", ADMIN, "Create the default external network"),
    ("create_network:port_security_enabled", ADMIN_OR_PROJECT_MEMBER, "Set port security"),
    ("create_network:segments", ADMIN, "Create a network with segments"),
    ("create_network:provider:network_type", ADMIN, "Set a network's type"),
    ("create_network:provider:physical_network", ADMIN, "Set a network's physical network"),
    ("create_network:provider:segmentation_id", ADMIN, "Set a network's segmentation id"),
    ("create_network:availability_zone_hints", ADMIN_OR_PROJECT_MEMBER, "Set zone hints"),
    ("create_network:tags", ADMIN_OR_PROJECT_MEMBER, "Tag a network"),
    (
        "get_network",
        f"{ADMIN_OR_PROJECT_READER} or {SERVICE} or rule:shared or rule:external",
        "Show a network",
    ),
    ("get_network:segments", ADMIN, "Show a network's segments"),
    ("get_network:provider:network_type", ADMIN, "Show a network's type"),
    ("get_network:provider:physical_network", ADMIN, "Show a network's physical network"),
    ("get_network:provider:segmentation_id", ADMIN, "Show a network's segmentation id"),
    (
        "get_network:tags",
        f"{ADMIN_OR_PROJECT_READER} or rule:shared or rule:external",
        "Show a network's tags",
    ),
    ("update_network", ADMIN_OR_PROJECT_MEMBER, "Update a network"),
    ("update_network:shared", ADMIN, "Share or unshare a network"),
    ("update_network:router:external", ADMIN, "Make a network external or not"),
    ("update_network:is_default", ADMIN, "Make a network the default external one or not"),
    ("update_network:port_security_enabled", ADMIN_OR_PROJECT_MEMBER, "Set port security"),
    ("update_network:tags", ADMIN_OR_PROJECT_MEMBER, "Change a network's tags"),
    ("delete_network", ADMIN_OR_PROJECT_MEMBER, "Delete a network"),
    ("delete_network:tags", ADMIN_OR_PROJECT_MEMBER, "Remove a network's tags"),
]

_SUBNET = [
    ("create_subnet", ADMIN_OR_NET_OWNER_MEMBER, "Create a subnet"),
    ("create_subnet:tags", f"{PROJECT_MEMBER} or {ADMIN_OR_NET_OWNER_MEMBER}", "Tag a subnet"),
    (
        "get_subnet",
        f"{PROJECT_READER} or rule:shared or rule:external_network or {ADMIN_OR_SERVICE} "
        f"or ({NET_OWNER_READER})",
        "Show a subnet",
    ),
    (
        "get_subnet:tags",
        f"{PROJECT_READER} or rule:shared or rule:external_network or {ADMIN} "
        f"or ({NET_OWNER_READER})",
        "Show a subnet's tags",
    ),
    ("update_subnet", f"({PROJECT_MEMBER}) or {ADMIN_OR_NET_OWNER_MEMBER}", "Update a subnet"),
    ("update_subnet:tags", f"({PROJECT_MEMBER}) or {ADMIN_OR_NET_OWNER_MEMBER}", "Retag"),
    ("delete_subnet", f"({PROJECT_MEMBER}) or {ADMIN_OR_NET_OWNER_MEMBER}", "Delete a subnet"),
    ("delete_subnet:tags", f"({PROJECT_MEMBER}) or {ADMIN_OR_NET_OWNER_MEMBER}", "Untag"),
]

_SUBNETPOOL = [
    ("create_subnetpool", ADMIN_OR_PROJECT_MEMBER, "Create a subnet pool"),
    ("create_subnetpool:shared", ADMIN, "Create a shared subnet pool"),
    ("create_subnetpool:is_default", ADMIN, "Create a default subnet pool"),
    ("create_subnetpool:tags", ADMIN_OR_PROJECT_MEMBER, "Tag a subnet pool"),
    ("get_subnetpool", f"{ADMIN_OR_PROJECT_READER} or rule:shared_subnetpools", "Show a pool"),
    ("get_subnetpool:tags", f"{ADMIN_OR_PROJECT_READER} or rule:shared_subnetpools", "Tags"),
    ("update_subnetpool", ADMIN_OR_PROJECT_MEMBER, "Update a subnet pool"),
    ("update_subnetpool:is_default", ADMIN, "Make a subnet pool the default"),
    ("update_subnetpool:tags", ADMIN_OR_PROJECT_MEMBER, "Change a subnet pool's tags"),
    ("delete_subnetpool", ADMIN_OR_PROJECT_MEMBER, "Delete a subnet pool"),
    ("delete_subnetpool:tags", ADMIN_OR_PROJECT_MEMBER, "Remove a subnet pool's tags"),
]

_PORT = [
    ("create_port", f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER}) or rule:shared", "Create"),
    ("create_port:device_id", f"{ADMIN_OR_PROJECT_MEMBER} or {SERVICE}", "Set a device"),
    (
        "create_port:device_owner",
        f"not rule:network_device or {ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})",
        "Set a device owner",
    ),
    ("create_port:mac_address", f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})", "Choose a MAC"),
    (
        "create_port:fixed_ips",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER}) or rule:shared",
        "Choose fixed IPs",
    ),
    (
        "create_port:fixed_ips:ip_address",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})",
        "Choose an IP address",
    ),
    (
        "create_port:fixed_ips:subnet_id",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER}) or rule:shared",
        "Choose a subnet",
    ),
    (
        "create_port:port_security_enabled",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})",
        "Set port security",
    ),
    ("create_port:binding:host_id", ADMIN_OR_SERVICE, "Bind a port to a host"),
    ("create_port:binding:profile", f"{ADMIN_OR_SERVICE}", "Set a binding profile"),
    ("create_port:binding:vnic_type", f"{ADMIN_OR_PROJECT_MEMBER} or {SERVICE}", "VNIC type"),
    (
        "create_port:allowed_address_pairs",
        f"{ADMIN_OR_NET_OWNER_MEMBER} or {SERVICE}",
        "Set allowed address pairs",
    ),
    ("create_port:tags", ADMIN_OR_PROJECT_MEMBER, "Tag a port"),
    ("get_port", f"{ADMIN_OR_SERVICE} or ({NET_OWNER_READER}) or ({PROJECT_READER})", "Show"),
    ("get_port:binding:vif_type", ADMIN_OR_SERVICE, "Show a port's VIF type"),
    ("get_port:binding:vif_details", ADMIN_OR_SERVICE, "Show a port's VIF details"),
    ("get_port:binding:host_id", ADMIN_OR_SERVICE, "Show a port's host"),
    ("get_port:binding:profile", ADMIN_OR_SERVICE, "Show a port's binding profile"),
    ("get_port:tags", f"{ADMIN} or ({NET_OWNER_READER}) or ({PROJECT_READER})", "Show tags"),
    ("update_port", f"{ADMIN_OR_SERVICE} or ({PROJECT_MEMBER})", "Update a port"),
    ("update_port:device_id", f"{ADMIN_OR_PROJECT_MEMBER} or {SERVICE}", "Change a device"),
    (
        "update_port:device_owner",
        f"not rule:network_device or {ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})",
        "Change a device owner",
    ),
    ("update_port:mac_address", ADMIN_OR_SERVICE, "Change a MAC address"),
    ("update_port:fixed_ips", f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})", "Change IPs"),
    (
        "update_port:fixed_ips:ip_address",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})",
        "Choose an IP address",
    ),
    (
        "update_port:fixed_ips:subnet_id",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER}) or rule:shared",
        "Choose a subnet",
    ),
    (
        "update_port:port_security_enabled",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER})",
        "Change port security",
    ),
    ("update_port:binding:host_id", ADMIN_OR_SERVICE, "Bind a port to a host"),
    ("update_port:binding:profile", ADMIN_OR_SERVICE, "Change a binding profile"),
    ("update_port:binding:vnic_type", f"{ADMIN_OR_SERVICE} or ({PROJECT_MEMBER})", "VNIC"),
    (
        "update_port:allowed_address_pairs",
        f"{ADMIN_OR_NET_OWNER_MEMBER} or {SERVICE}",
        "Change allowed address pairs",
    ),
    ("update_port:tags", ADMIN_OR_PROJECT_MEMBER, "Change a port's tags"),
    (
        "delete_port",
        f"{ADMIN_OR_SERVICE} or ({NET_OWNER_MEMBER}) or ({PROJECT_MEMBER})",
        "Delete a port",
    ),
    ("delete_port:tags", f"({PROJECT_MEMBER}) or {ADMIN_OR_NET_OWNER_MEMBER}", "Untag a port"),
]

_SECURITY = [
    ("create_security_group", ADMIN_OR_PROJECT_MEMBER, "Create a security group"),
    ("create_security_group:tags", ADMIN_OR_PROJECT_MEMBER, "Tag a security group"),
    (
        "get_security_group",
        f"{ADMIN_OR_PROJECT_READER} or rule:shared_security_group",
        "Show a security group",
    ),
    (
        "get_security_group:tags",
        f"{ADMIN_OR_PROJECT_READER} or rule:shared_security_group",
        "Show a security group's tags",
    ),
    ("update_security_group", ADMIN_OR_PROJECT_MEMBER, "Update a security group"),
    ("update_security_group:tags", ADMIN_OR_PROJECT_MEMBER, "Change a group's tags"),
    ("delete_security_group", ADMIN_OR_PROJECT_MEMBER, "Delete a security group"),
    ("delete_security_group:tags", ADMIN_OR_PROJECT_MEMBER, "Remove a group's tags"),
    ("create_security_group_rule", ADMIN_OR_SG_OWNER_MEMBER, "Create a security group rule"),
    ("get_security_group_rule", ADMIN_OR_SG_OWNER_READER, "Show a security group rule"),
    ("delete_security_group_rule", ADMIN_OR_SG_OWNER_MEMBER, "Delete a security group rule"),
    ("create_address_group", ADMIN_OR_PROJECT_MEMBER, "Create an address group"),
    (
        "get_address_group",
        f"{ADMIN_OR_PROJECT_READER} or rule:shared_address_groups",
        "Show an address group",
    ),
    ("update_address_group", ADMIN_OR_PROJECT_MEMBER, "Update an address group"),
    ("delete_address_group", ADMIN_OR_PROJECT_MEMBER, "Delete an address group"),
    ("add_addresses", ADMIN_OR_PROJECT_MEMBER, "Add addresses to an address group"),
    ("remove_addresses", ADMIN_OR_PROJECT_MEMBER, "Remove addresses from an address group"),
]

_ROUTER = [
    ("create_router", ADMIN_OR_PROJECT_MEMBER, "Create a router"),
    ("create_router:external_gateway_info", ADMIN_OR_PROJECT_MEMBER, "Set a gateway"),
    (
        "create_router:external_gateway_info:network_id",
        ADMIN_OR_PROJECT_MEMBER,
        "Choose the gateway's external network",
    ),
    ("create_router:external_gateway_info:enable_snat", ADMIN, "Turn SNAT on or off"),
    (
        "create_router:external_gateway_info:external_fixed_ips",
        ADMIN,
        "Choose the gateway's addresses",
    ),
    ("create_router:distributed", ADMIN, "Create a distributed router"),
    ("create_router:ha", ADMIN, "Create an HA router"),
    ("create_router:tags", ADMIN_OR_PROJECT_MEMBER, "Tag a router"),
    ("get_router", ADMIN_OR_PROJECT_READER, "Show a router"),
    ("get_router:distributed", ADMIN, "Show whether a router is distributed"),
    ("get_router:ha", ADMIN, "Show whether a router is HA"),
    ("get_router:tags", ADMIN_OR_PROJECT_READER, "Show a router's tags"),
    ("update_router", ADMIN_OR_PROJECT_MEMBER, "Update a router"),
    ("update_router:external_gateway_info", ADMIN_OR_PROJECT_MEMBER, "Change the gateway"),
    (
        "update_router:external_gateway_info:network_id",
        ADMIN_OR_PROJECT_MEMBER,
        "Change the gateway's external network",
    ),
    ("update_router:external_gateway_info:enable_snat", ADMIN, "Turn SNAT on or off"),
    (
        "update_router:external_gateway_info:external_fixed_ips",
        ADMIN,
        "Change the gateway's addresses",
    ),
    ("update_router:distributed", ADMIN, "Make a router distributed"),
    ("update_router:ha", ADMIN, "Make a router HA"),
    ("update_router:tags", ADMIN_OR_PROJECT_MEMBER, "Change a router's tags"),
    ("delete_router", ADMIN_OR_PROJECT_MEMBER, "Delete a router"),
    (
        "get_auto_allocated_topology",
        ADMIN_OR_PROJECT_READER,
        "Show (and make on first use) a project's auto-allocated topology",
    ),
    (
        "delete_auto_allocated_topology",
        ADMIN_OR_PROJECT_MEMBER,
        "Delete a project's auto-allocated topology",
    ),
    ("delete_router:tags", ADMIN_OR_PROJECT_MEMBER, "Remove a router's tags"),
    ("add_router_interface", ADMIN_OR_PROJECT_MEMBER, "Attach a subnet or port to a router"),
    ("remove_router_interface", ADMIN_OR_PROJECT_MEMBER, "Detach an interface from a router"),
    ("add_extraroutes", ADMIN_OR_PROJECT_MEMBER, "Add extra routes to a router"),
    ("remove_extraroutes", ADMIN_OR_PROJECT_MEMBER, "Remove extra routes from a router"),
    ("create_floatingip", ADMIN_OR_PROJECT_MEMBER, "Create a floating IP"),
    ("create_floatingip:floating_ip_address", ADMIN, "Choose a floating IP's address"),
    ("create_floatingip:tags", ADMIN_OR_PROJECT_MEMBER, "Tag a floating IP"),
    ("get_floatingip", ADMIN_OR_PROJECT_READER, "Show a floating IP"),
    ("get_floatingip:tags", ADMIN_OR_PROJECT_READER, "Show a floating IP's tags"),
    ("update_floatingip", ADMIN_OR_PROJECT_MEMBER, "Update a floating IP"),
    ("update_floatingip:tags", ADMIN_OR_PROJECT_MEMBER, "Change a floating IP's tags"),
    ("delete_floatingip", ADMIN_OR_PROJECT_MEMBER, "Delete a floating IP"),
    ("delete_floatingip:tags", ADMIN_OR_PROJECT_MEMBER, "Remove a floating IP's tags"),
    ("get_floatingip_pool", "role:reader", "List floating IP pools"),
]

_CONTROL = [
    ("create_rbac_policy", ADMIN_OR_PROJECT_MEMBER, "Create an RBAC policy"),
    (
        "create_rbac_policy:target_tenant",
        f"{ADMIN} or not '*':%(target_tenant)s",
        "Share with every project ('*')",
    ),
    ("get_rbac_policy", ADMIN_OR_PROJECT_READER, "Show an RBAC policy"),
    ("update_rbac_policy", ADMIN_OR_PROJECT_MEMBER, "Update an RBAC policy"),
    (
        "update_rbac_policy:target_tenant",
        f"{ADMIN} or not '*':%(target_tenant)s",
        "Share with every project ('*')",
    ),
    ("delete_rbac_policy", ADMIN_OR_PROJECT_MEMBER, "Delete an RBAC policy"),
    ("get_quota", ADMIN_OR_PROJECT_READER, "Show a project's quotas"),
    ("update_quota", ADMIN, "Change a project's quotas"),
    ("delete_quota", ADMIN, "Reset a project's quotas"),
    ("get_network_ip_availability", ADMIN_OR_SERVICE, "Show IP availability"),
    ("get_availability_zone", "role:reader", "List availability zones"),
    ("get_agent", ADMIN, "List agents and show one"),
    ("get_l3-agents", ADMIN, "List the L3 agents hosting a router"),
    ("get_l3-routers", ADMIN, "List the routers an L3 agent hosts"),
    ("get_dhcp-agents", ADMIN, "List the DHCP agents hosting a network"),
    ("get_dhcp-networks", ADMIN, "List the networks a DHCP agent hosts"),
]


def rules() -> list[RuleDefault]:
    """Every networking rule; operators override them in <policy_dir>/network.yaml."""
    groups = (_BASE, _NETWORK, _SUBNET, _SUBNETPOOL, _PORT, _SECURITY, _ROUTER, _CONTROL)
    return [RuleDefault(name, check, about) for group in groups for name, check, about in group]
