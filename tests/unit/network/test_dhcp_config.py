"""dnsmasq's configuration rendered from a NetworkInfo: command line, hosts and options."""

from __future__ import annotations

from pathlib import Path

from nimbostack.network.agents.dhcp import config
from nimbostack.network.agents.dhcp.config import Files, Settings
from nimbostack.network.dhcp_messages import (
    DHCPV6_STATEFUL,
    FixedIp,
    HostRoute,
    NetworkInfo,
    PortInfo,
    SubnetInfo,
)

V4 = SubnetInfo(id="s4", cidr="10.0.0.0/24", gateway_ip="10.0.0.1", dns_nameservers=["9.9.9.9"])
V6 = SubnetInfo(
    id="s6", cidr="fd00::/64", ip_version=6, gateway_ip="fd00::1", ipv6_address_mode=DHCPV6_STATEFUL
)
SLAAC = SubnetInfo(
    id="sl", cidr="fd01::/64", ip_version=6, ipv6_address_mode="slaac", ipv6_ra_mode="slaac"
)
OFF = SubnetInfo(id="off", cidr="10.1.0.0/24", enable_dhcp=False)
DHCP_PORT = PortInfo(
    id="dhcpport", mac_address="fa:16:3e:00:00:01", fixed_ips=[FixedIp("s4", "10.0.0.2")]
)
VM = PortInfo(
    id="vm",
    mac_address="fa:16:3e:00:00:02",
    hostname="host-10-0-0-5",
    fixed_ips=[FixedIp("s4", "10.0.0.5"), FixedIp("s6", "fd00::5"), FixedIp("off", "10.1.0.5")],
)
FILES = Files(Path("/data/dhcp/net"))


def _info(
    *subnets: SubnetInfo, ports: tuple[PortInfo, ...] = (VM,), isolated: bool = True
) -> NetworkInfo:
    return NetworkInfo(
        id="net", mtu=1450, subnets=list(subnets), ports=list(ports), isolated=isolated
    )


def test_only_dhcp_subnets_get_a_static_range() -> None:
    argv = config.argv(
        _info(V4, V6, SLAAC, OFF), "ns-dhcpport", FILES, Settings(lease_duration=600)
    )
    ranges = [a for a in argv if a.startswith("--dhcp-range")]
    assert ranges == [
        "--dhcp-range=set:subnet-s4,10.0.0.0,static,255.255.255.0,600s",
        "--dhcp-range=set:subnet-s6,fd00::,static,64,600s",
    ]
    assert "--conf-file=/dev/null" in argv and "--no-resolv" in argv and "--no-hosts" in argv
    assert "--pid-file=/data/dhcp/net/pid" in argv and "--interface=ns-dhcpport" in argv
    assert "--port=0" in argv  # no DNS unless upstream servers are configured


def test_command_line_does_not_depend_on_ports() -> None:
    one = config.argv(_info(V4), "ns-x", FILES, Settings())
    two = config.argv(_info(V4, ports=(VM, DHCP_PORT)), "ns-x", FILES, Settings())
    assert one == two


def test_hosts_list_each_served_address() -> None:
    hosts = config.hosts(_info(V4, V6, OFF)).splitlines()
    assert hosts == [
        "fa:16:3e:00:00:02,host-10-0-0-5,10.0.0.5",
        "fa:16:3e:00:00:02,host-10-0-0-5,[fd00::5]",
    ]


def test_admin_down_ports_get_no_entry() -> None:
    down = PortInfo(
        id="down",
        mac_address="fa:16:3e:00:00:09",
        hostname="h",
        fixed_ips=[FixedIp("s4", "10.0.0.9")],
        admin_state_up=False,
    )
    assert config.hosts(_info(V4, ports=(down,))) == ""
    assert config.hosted_ports(_info(V4, ports=(down, VM))) == {
        "vm": ("fa:16:3e:00:00:02", "10.0.0.5")
    }


def test_isolated_network_routes_metadata_through_the_dhcp_port() -> None:
    opts = config.opts(_info(V4), DHCP_PORT, Settings()).splitlines()
    assert opts == [
        "tag:subnet-s4,option:router,10.0.0.1",
        "tag:subnet-s4,option:dns-server,9.9.9.9",
        "tag:subnet-s4,option:mtu,1450",
        "tag:subnet-s4,option:classless-static-route,"
        "169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1",
        "tag:subnet-s4,249,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1",
    ]


def test_routed_network_without_host_routes_sends_no_classless_routes() -> None:
    opts = config.opts(_info(V4, isolated=False), DHCP_PORT, Settings())
    assert "classless" not in opts
    off = config.opts(_info(V4), DHCP_PORT, Settings(isolated_metadata=False))
    assert "classless" not in off


def test_host_routes_and_no_gateway() -> None:
    routed = SubnetInfo(
        id="s4",
        cidr="10.0.0.0/24",
        host_routes=[HostRoute("192.168.0.0/16", "10.0.0.254")],
    )
    opts = config.opts(_info(routed, isolated=False), DHCP_PORT, Settings()).splitlines()
    # No gateway: an empty router option, so dnsmasq does not offer itself.
    assert "tag:subnet-s4,option:router" in opts
    assert "tag:subnet-s4,option:classless-static-route,192.168.0.0/16,10.0.0.254" in opts


def test_dnsmasq_answers_dns_only_with_upstream_servers() -> None:
    bare = SubnetInfo(id="s4", cidr="10.0.0.0/24", gateway_ip="10.0.0.1")
    settings = Settings(dns_servers=("8.8.8.8",))
    opts = config.opts(_info(bare), DHCP_PORT, settings)
    assert "tag:subnet-s4,option:dns-server,10.0.0.2" in opts.splitlines()
    assert "dns-server" not in config.opts(_info(bare), DHCP_PORT, Settings())
    argv = config.argv(_info(bare), "ns-x", FILES, settings)
    assert "--server=8.8.8.8" in argv and "--port=0" not in argv


def test_ipv6_dns_servers_use_option6() -> None:
    v6 = SubnetInfo(
        id="s6",
        cidr="fd00::/64",
        ip_version=6,
        dns_nameservers=["fd00::53"],
        ipv6_address_mode=DHCPV6_STATEFUL,
    )
    assert config.opts(_info(v6), DHCP_PORT, Settings()) == (
        "tag:subnet-s6,option6:dns-server,[fd00::53]\n"
    )
