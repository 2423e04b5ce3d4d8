"""The L2 agent's pure parts: device names and labels, tap changes, forwarding-entry plans."""

from __future__ import annotations

import pytest

from nimbostack.core.config import load
from nimbostack.core.netdev import FdbEntry
from nimbostack.network import options as _options  # noqa: F401
from nimbostack.network.agent_messages import PeerPort, TunnelPeer, bridge_name, tap_name
from nimbostack.network.agents import l2_hosts
from nimbostack.network.agents.linuxbridge import fdb, naming, taps

NET = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
FLOOD = fdb.FLOOD_MAC
A, B = "fa:16:3e:00:00:0a", "fa:16:3e:00:00:0b"


def test_names_follow_neutron() -> None:
    assert bridge_name(NET) == "brq3f2504e0-4f"
    assert tap_name(NET) == "tap3f2504e0-4f"
    assert naming.vxlan_name(16_000_000) == "vxlan-16000000"
    assert naming.vlan_name("eth1", 100) == "eth1.100"
    assert naming.is_port_tap("tap3f2504e0-4f")
    assert not naming.is_port_tap("tap0") and not naming.is_port_tap("vnet3f2504e0-4")


def test_vlan_name_longer_than_the_kernel_takes_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than 15"):
        naming.vlan_name("enp0s31f6xy", 4094)


def test_owner_label_names_host_and_network() -> None:
    alias = naming.owner_alias("host-a", NET)
    assert naming.owned_network(alias, "host-a") == NET
    assert naming.owned_network(alias, "host-b") is None  # another agent's device
    assert naming.owned_network("", "host-a") is None
    assert naming.owned_network(f"other host-a {NET}", "host-a") is None


def test_tap_changes_count_a_new_index_as_gone_and_new() -> None:
    before = {"tapa": 1, "tapb": 2, "tapc": 3}
    now = {"tapa": 1, "tapc": 9, "tapd": 4}
    assert taps.changes(before, now) == (["tapc", "tapd"], ["tapb", "tapc"])
    assert taps.changes(now, now) == ([], [])


def test_wanted_entries_flood_each_peer_and_point_each_mac() -> None:
    peers = [
        TunnelPeer("10.0.0.2", [PeerPort(A, ["10.1.0.5"]), PeerPort(B)]),
        TunnelPeer("10.0.0.3", []),
        TunnelPeer("10.0.0.1", [PeerPort("fa:16:3e:00:00:01")]),  # this host's own VTEP
    ]
    assert fdb.wanted(peers, "10.0.0.1") == {
        FdbEntry(FLOOD, "10.0.0.2"),
        FdbEntry(A, "10.0.0.2"),
        FdbEntry(B, "10.0.0.2"),
        FdbEntry(FLOOD, "10.0.0.3"),
    }


def test_plan_adds_missing_and_removes_stale_only() -> None:
    current = {FdbEntry(FLOOD, "10.0.0.9"), FdbEntry(A, "10.0.0.2")}
    target = {FdbEntry(FLOOD, "10.0.0.2"), FdbEntry(A, "10.0.0.2")}
    assert fdb.plan(current, target) == (
        [FdbEntry(FLOOD, "10.0.0.2")],
        [FdbEntry(FLOOD, "10.0.0.9")],
    )
    assert fdb.plan(target, target) == ([], [])


def test_additions_skip_what_the_device_has() -> None:
    current = {FdbEntry(FLOOD, "10.0.0.2")}
    assert fdb.additions(current, "10.0.0.2", A) == [FdbEntry(A, "10.0.0.2")]
    assert fdb.additions(set(), "10.0.0.2", A) == [
        FdbEntry(FLOOD, "10.0.0.2"),
        FdbEntry(A, "10.0.0.2"),
    ]


def test_removals_drop_the_flood_entry_with_the_vteps_last_port() -> None:
    current = {FdbEntry(FLOOD, "10.0.0.2"), FdbEntry(A, "10.0.0.2"), FdbEntry(B, "10.0.0.2")}
    assert fdb.removals(current, "10.0.0.2", A) == [FdbEntry(A, "10.0.0.2")]
    last = {FdbEntry(FLOOD, "10.0.0.2"), FdbEntry(B, "10.0.0.2")}
    assert fdb.removals(last, "10.0.0.2", B) == [
        FdbEntry(B, "10.0.0.2"),
        FdbEntry(FLOOD, "10.0.0.2"),
    ]
    assert fdb.removals(set(), "10.0.0.2", B) == []


def test_auto_driver_is_linuxbridge_only_with_real_guests() -> None:
    conf = load(None, environ={})
    conf.override("compute_agent", driver="qemu")
    assert l2_hosts.driver(conf) == "linuxbridge"
    conf.override("compute_agent", driver="fake")
    assert l2_hosts.driver(conf) == "fake"
    conf.override("network_l2", driver="linuxbridge")
    assert l2_hosts.driver(conf) == "linuxbridge"


def test_configuration_reads_both_mappings() -> None:
    conf = load(None, environ={})
    conf.override(
        "network_l2",
        bridge_mappings=["public:br-ex"],
        physical_interface_mappings=["physnet1:eth1", "bad"],
        local_ip="",
    )
    found = l2_hosts.configuration(conf, "192.0.2.7")
    assert found.bridge_mappings == {"public": "br-ex"}
    assert found.interface_mappings == {"physnet1": "eth1"}
    assert found.tunneling_ip == "192.0.2.7"
    conf.override("network_l2", local_ip="192.0.2.9")
    assert l2_hosts.configuration(conf, "192.0.2.7").tunneling_ip == "192.0.2.9"
