"""Networking options: [network], and the ML2 sections named as Neutron names them."""

from __future__ import annotations

from nimbostack.core.config import Opt, port_opt, register
from nimbostack.core.options import api_opts

register(
    "network",
    "The networking service (Neutron API v2.0).",
    [
        port_opt("port", 9696, "the networking API"),
        *api_opts(),
        Opt("connection", "", "Database URL for networking (empty: see [database])."),
        Opt(
            "base_mac",
            "fa:16:3e:00:00:00",
            "Base MAC address of ports; the bytes left 00 are chosen at random.",
        ),
        Opt("dns_domain", "openstacklocal", "Domain appended to port host names."),
        Opt(
            "bootstrap_topology",
            True,
            "`nimbostack up` makes the external network `public`, the default subnet pool "
            "and the demo project's `private` network when they are missing.",
            type="bool",
        ),
        Opt(
            "global_physnet_mtu",
            1500,
            "MTU of the underlying physical networks; overlay networks subtract their "
            "encapsulation overhead from it.",
            type="int",
            minimum=68,
        ),
        Opt(
            "default_availability_zones",
            [],
            "Zones the agent schedulers place networks and routers in when these have no "
            "availability_zone_hints (empty: any zone).",
            type="list",
        ),
        Opt("max_dns_nameservers", 5, "Most DNS servers per subnet.", type="int", minimum=0),
        Opt("max_subnet_host_routes", 20, "Most host routes per subnet.", type="int", minimum=0),
        Opt("max_routes", 30, "Most extra routes per router.", type="int", minimum=0),
        Opt(
            "max_allowed_address_pair",
            10,
            "Most allowed address pairs per port.",
            type="int",
            minimum=0,
        ),
        Opt(
            "pagination_max_limit",
            -1,
            "Most items one list returns (-1: no limit beyond the one asked for).",
            type="int",
            minimum=-1,
        ),
        Opt(
            "agent_down_time",
            75,
            "Seconds without a heartbeat after which an agent counts as down.",
            type="int",
            minimum=1,
        ),
        *(
            Opt(f"quota_{name}", default, f"Default {name} quota of a project (-1: none).", "int")
            for name, default in (
                ("network", 100),
                ("subnet", 100),
                ("subnetpool", -1),
                ("port", 500),
                ("router", 10),
                ("floatingip", 50),
                ("security_group", 10),
                ("security_group_rule", 100),
                ("rbac_policy", 10),
            )
        ),
    ],
)

register(
    "ml2",
    "ML2: which network types exist and which ones projects get.",
    [
        Opt(
            "type_drivers",
            ["flat", "vlan", "vxlan"],
            "Network types that can be created.",
            type="list",
        ),
        Opt(
            "tenant_network_types",
            ["vxlan"],
            "Types given to project networks, tried in order until one has a free segment.",
            type="list",
        ),
    ],
)

register(
    "ml2_type_flat",
    "Flat (untagged) provider networks.",
    [
        Opt(
            "flat_networks",
            ["public"],
            "Physical networks flat networks may use ('*': any).",
            type="list",
        )
    ],
)

register(
    "ml2_type_vlan",
    "VLAN networks.",
    [
        Opt(
            "network_vlan_ranges",
            ["physnet1:100:199"],
            "<physical_network>[:<min>:<max>] entries: the VLAN ids project networks get "
            "on each physical network (a bare name allows provider networks only).",
            type="list",
        )
    ],
)

register(
    "ml2_type_vxlan",
    "VXLAN networks.",
    [
        Opt(
            "vni_ranges",
            ["1:1000"],
            "<min>:<max> entries: the VXLAN ids project networks get.",
            type="list",
        )
    ],
)

register(
    "network_l2",
    "The L2 agent on each host: a Linux bridge per network, its VXLAN or VLAN device "
    "or mapped interface, and a tap per port.",
    [
        Opt(
            "driver",
            "auto",
            "The L2 agent: linuxbridge (wires the host's devices), fake (answers the "
            "agents' contract, touches nothing), auto (linuxbridge when [compute_agent] "
            "driver is qemu, else fake).",
            choices=("auto", "linuxbridge", "fake"),
        ),
        Opt(
            "report_interval",
            10.0,
            "Seconds between an agent's state reports (keep it below agent_down_time).",
            type="float",
            minimum=0.1,
        ),
        Opt(
            "polling_interval",
            0.3,
            "Seconds between two looks at the host's tap devices.",
            type="float",
            minimum=0.05,
        ),
        Opt(
            "device_delay",
            0.0,
            "Seconds the fake agent waits before reporting a device up.",
            type="float",
            minimum=0.0,
        ),
        Opt(
            "bridge_mappings",
            ["public:br-ex"],
            "<physical_network>:<bridge> entries: flat physical networks whose bridge "
            "exists on the host (the agent plugs taps into it and never removes it).",
            type="list",
        ),
        Opt(
            "physical_interface_mappings",
            [],
            "<physical_network>:<interface> entries: the host interface carrying a "
            "physical network (flat: plugged into the network's bridge; VLAN: the parent "
            "of <interface>.<vlan-id>).",
            type="list",
        ),
        Opt("tunnel_types", ["vxlan"], "Tunnel types the agent wires (vxlan, none).", type="list"),
        Opt(
            "local_ip",
            "",
            "The agent's VXLAN tunnel endpoint address (empty: the address of the host's "
            "default-route interface).",
        ),
        Opt(
            "firewall_driver",
            "nftables",
            "How ports' security groups are enforced: nftables, or noop (no filtering).",
            choices=("nftables", "noop"),
        ),
        Opt(
            "firewall_table",
            "nimbostack-sg",
            "Name of the firewall's nftables tables (one bridge and one inet table); "
            "agents sharing a network namespace need distinct names.",
        ),
    ],
)

register(
    "network_dhcp",
    "The DHCP agent: dnsmasq in a qdhcp-<network> namespace per network it hosts.",
    [
        Opt(
            "enabled",
            "auto",
            "Whether network-server runs this host's DHCP agent (auto: with the qemu "
            "compute driver, whose guests have real devices; never with the fake one).",
            choices=("auto", "true", "false"),
        ),
        Opt("lease_duration", 86400, "Seconds a DHCP lease lasts.", type="int", minimum=120),
        Opt(
            "dnsmasq_dns_servers",
            [],
            "Upstream DNS servers of dnsmasq: when set, dnsmasq also answers DNS and is "
            "the DNS server of subnets that name none (empty: no DNS from dnsmasq).",
            type="list",
        ),
        Opt(
            "enable_isolated_metadata",
            True,
            "On a network with no router, serve 169.254.169.254 from the DHCP namespace "
            "and route guests to it (DHCP option 121).",
            type="bool",
        ),
        Opt(
            "resync_interval",
            60.0,
            "Seconds between full resyncs of every hosted network with the server.",
            type="float",
            minimum=1.0,
        ),
        Opt(
            "report_interval",
            10.0,
            "Seconds between the agent's state reports (keep it below agent_down_time).",
            type="float",
            minimum=0.1,
        ),
    ],
)

register(
    "network_l3",
    "The L3 agent: a qrouter-<router> namespace per router it hosts, NAT for the "
    "external network and floating IPs, and metadata through the router.",
    [
        Opt(
            "driver",
            "auto",
            "The L3 agent: linux (namespaces, veths, nftables), fake (answers the agents' "
            "contract, builds nothing), auto (linux when [compute_agent] driver is qemu "
            "and this machine can build routers: root and nft; else fake).",
            choices=("auto", "linux", "fake"),
        ),
        Opt(
            "external_bridge",
            "br-ex",
            "The host bridge of the external network's physical network (it must also be "
            "in [network_l2] bridge_mappings).",
        ),
        Opt(
            "external_bridge_address",
            "172.24.4.1/24",
            "The host's address on the external bridge (the external subnet's gateway); "
            "the host masquerades its network to its uplink (empty: no address, no NAT).",
        ),
        Opt(
            "manage_external_bridge",
            True,
            "Whether the agent makes the external bridge, gives it its address, enables "
            "IPv4 forwarding and masquerades the external network (nft table "
            "nimbostack-external-<bridge>).",
            type="bool",
        ),
        Opt(
            "resync_interval",
            60.0,
            "Seconds between full resyncs of every hosted router with the server.",
            type="float",
            minimum=1.0,
        ),
        Opt(
            "report_interval",
            10.0,
            "Seconds between the agent's state reports (keep it below agent_down_time).",
            type="float",
            minimum=0.1,
        ),
    ],
)
