"""The firewall's ruleset text: rules as matches, what a port may send, which ports it filters."""

from __future__ import annotations

from nimbostack.network.agent_messages import (
    AddressPair,
    DeviceDetails,
    SecurityGroupInfo,
    SecurityGroupRuleInfo,
    SecurityGroupsInfo,
)
from nimbostack.network.agents.firewall import rules, spoofing
from nimbostack.network.agents.firewall.driver import filtered
from nimbostack.network.agents.firewall.ruleset import Filtered, Wanted, script

PORT_ID = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
GROUP = "g0000000-0000-4000-8000-000000000000"


def _port(**fields: object) -> DeviceDetails:
    base: dict[str, object] = {
        "device": "tapaaaaaaaa-aa",
        "port_id": PORT_ID,
        "network_id": "nnnnnnnn-nnnn-4nnn-8nnn-nnnnnnnnnnnn",
        "mac_address": "fa:16:3e:12:34:56",
        "fixed_ips": ["10.0.0.5"],
        "security_group_ids": [GROUP],
    }
    return DeviceDetails(**{**base, **fields})  # type: ignore[arg-type]


def _rule(**fields: object) -> SecurityGroupRuleInfo:
    base: dict[str, object] = {"id": "r", "security_group_id": GROUP,
                               "direction": "ingress", "ethertype": "IPv4"}  # fmt: skip
    return SecurityGroupRuleInfo(**{**base, **fields})  # type: ignore[arg-type]


def test_rules_become_matches() -> None:
    tcp = _rule(protocol="tcp", port_range_min=22, port_range_max=22, remote_ip_prefix="10.0.0.0/8")
    assert rules.match(tcp) == "meta nfproto ipv4 ip saddr 10.0.0.0/8 meta l4proto 6 th dport 22"
    icmp6 = _rule(ethertype="IPv6", direction="egress", protocol="ipv6-icmp", port_range_min=128,
                  port_range_max=0, remote_group_id=GROUP)  # fmt: skip
    assert rules.match(icmp6) == (
        f"meta nfproto ipv6 ip6 daddr @rg6-{GROUP} meta l4proto 58 icmpv6 type 128 icmpv6 code 0"
    )
    anything = _rule(remote_ip_prefix="0.0.0.0/0", protocol="112")
    assert rules.match(anything) == "meta nfproto ipv4 meta l4proto 112"


def test_overlapping_addresses_are_merged_per_version() -> None:
    merged = rules.collapse(["10.0.0.5", "10.0.0.0/28", "fd00::1", "10.0.1.0/24"], 4)
    assert [str(n) for n in merged] == ["10.0.0.0/28", "10.0.1.0/24"]


def test_a_port_sends_from_its_addresses_pairs_and_link_local() -> None:
    pair = AddressPair("10.9.0.0/24", "fa:16:3e:00:00:09")
    port = _port(fixed_ips=["10.0.0.5", "fd00::5"], allowed_address_pairs=[pair])
    assert spoofing.macs_of(port) == ["fa:16:3e:12:34:56", "fa:16:3e:00:00:09"]
    assert [str(n) for n in spoofing.addresses_of(port, 4)] == ["10.0.0.5/32", "10.9.0.0/24"]
    assert [str(n) for n in spoofing.addresses_of(port, 6)] == [
        "fd00::5/128",
        "fe80::f816:3eff:fe00:9/128",
        "fe80::f816:3eff:fe12:3456/128",
    ]


def test_network_ports_and_ports_without_security_are_not_filtered() -> None:
    assert filtered(_port())
    assert not filtered(_port(port_security_enabled=False))
    assert not filtered(_port(device_owner="network:dhcp"))


def test_the_script_replaces_both_tables_and_names_chains_after_the_port() -> None:
    info = SecurityGroupsInfo([SecurityGroupInfo(GROUP, True, [_rule(protocol="icmp")])])
    wanted = Wanted("nimbostack-sg", [Filtered(_port(), 3)], info, {"brqnnnnnnnn-nn": 7})
    text = script(wanted).text()
    assert text.startswith("add table bridge nimbostack-sg\ndelete table bridge nimbostack-sg\n")
    for chain in ("spoof", "mark", "to", "egress", "ingress"):
        assert f"chain {chain}-{PORT_ID} {{" in text
    assert '"brqnnnnnnnn-nn" : 7' in text
    assert "meta mark set meta mark & 0x0000ffff | 0x00030000 accept" in text
    assert "meta nfproto ipv4 meta l4proto 1 accept" in text
    inet_only = script(wanted).text(bridge=False)
    assert inet_only.startswith("add table inet nimbostack-sg\ndelete table inet nimbostack-sg\n")
    assert "bridge" not in inet_only
