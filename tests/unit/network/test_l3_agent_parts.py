"""The L3 agent's pure parts: the router's NAT table, its devices and routes, the driver."""

from __future__ import annotations

import pytest

from nimbostack.compute import options as _compute_options  # noqa: F401
from nimbostack.core.config import Config, load
from nimbostack.network import options as _network_options  # noqa: F401
from nimbostack.network.agents.l3 import nat, plumbing, runner
from nimbostack.network.agents.l3.external import ExternalBridge
from nimbostack.network.l3_messages import (
    ExtraRoute,
    FloatingIpInfo,
    RouterAddress,
    RouterInfo,
    RouterPortInfo,
)

GW = RouterPortInfo(
    "aaaaaaaa-1111-2222-3333-444444444444",
    "fa:16:3e:00:00:01",
    "ext",
    1500,
    [RouterAddress("172.24.4.20", "ext-sub", "172.24.4.0/24", "172.24.4.1")],
)
QR1 = RouterPortInfo(
    "bbbbbbbb-1111-2222-3333-444444444444",
    "fa:16:3e:00:00:02",
    "net1",
    1450,
    [RouterAddress("10.0.0.1", "sub1", "10.0.0.0/24", "10.0.0.1")],
)
QR6 = RouterPortInfo(
    "cccccccc-1111-2222-3333-444444444444",
    "fa:16:3e:00:00:03",
    "net2",
    1450,
    [RouterAddress("fd00::1", "sub6", "fd00::/64", "fd00::1")],
)
FIP = FloatingIpInfo("fip1", "172.24.4.30", "10.0.0.5", "port1", "DOWN")


def _router(**changes: object) -> RouterInfo:
    fields: dict[str, object] = {
        "id": "r1",
        "project_id": "p",
        "admin_state_up": True,
        "enable_snat": True,
        "gateway": GW,
        "interfaces": [QR1, QR6],
        "floating_ips": [FIP],
    }
    fields.update(changes)
    return RouterInfo(**fields)  # type: ignore[arg-type]


def test_the_table_snats_internal_ipv4_and_translates_floating_ips() -> None:
    script = nat.ruleset(_router(), 9697)
    assert script.startswith(f"table ip {nat.TABLE}\ndelete table ip {nat.TABLE}\n")
    assert 'iifname "qr-*" ip daddr 169.254.169.254 tcp dport 80 redirect to :9697' in script
    assert script.count("ip daddr 172.24.4.30 dnat to 10.0.0.5") == 2  # prerouting, output
    fip_snat = 'oifname "qg-aaaaaaaa-11" ip saddr 10.0.0.5 snat to 172.24.4.30'
    snat = 'oifname "qg-aaaaaaaa-11" ip saddr { 10.0.0.0/24 } snat to 172.24.4.20'
    assert fip_snat in script and snat in script
    assert script.index(fip_snat) < script.index(snat)  # a floating IP's own address first
    assert "fd00" not in script


def test_without_snat_or_metadata_only_floating_ips_remain() -> None:
    script = nat.ruleset(_router(enable_snat=False), None)
    assert "redirect" not in script
    assert "snat to 172.24.4.20" not in script
    assert "snat to 172.24.4.30" in script


def test_no_gateway_no_nat() -> None:
    script = nat.ruleset(_router(gateway=None), 9697)
    assert "dnat" not in script and "snat" not in script
    assert "redirect to :9697" in script


def test_devices_carry_the_ports_addresses_and_floating_ips() -> None:
    found = plumbing.wanted_ports(_router())
    assert set(found) == {"qg-aaaaaaaa-11", "qr-bbbbbbbb-11", "qr-cccccccc-11"}
    assert found["qg-aaaaaaaa-11"][1] == {"172.24.4.20/24", "172.24.4.30/32"}
    assert found["qr-cccccccc-11"][1] == {"fd00::1/64"}


def test_routes_are_the_default_via_the_external_gateway_and_the_extra_routes() -> None:
    router = _router(routes=[ExtraRoute("192.168.5.0/24", "10.0.0.9")])
    assert plumbing.wanted_routes(router) == {
        ("0.0.0.0/0", "172.24.4.1"),
        ("192.168.5.0/24", "10.0.0.9"),
    }
    assert plumbing.wanted_routes(_router(gateway=None)) == set()


def test_the_host_masquerades_only_what_it_routes_from_the_bridge() -> None:
    script = ExternalBridge("br-ex", "172.24.4.1/24").ruleset()
    assert 'iifname "br-ex" oifname != "br-ex" ip saddr 172.24.4.0/24 masquerade' in script
    assert "table ip nimbostack-external-br-ex {" in script


def _conf(driver: str, compute: str) -> Config:
    conf = load(None, environ={})
    conf.override("network_l3", driver=driver)
    conf.override("compute_agent", driver=compute)
    return conf


def test_auto_runs_the_linux_agent_with_qemu_where_it_can_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner.os, "geteuid", lambda: 0)
    monkeypatch.setattr(runner.shutil, "which", lambda tool: f"/usr/sbin/{tool}")
    assert runner.driver(_conf("auto", "qemu")) == "linux"
    assert runner.driver(_conf("auto", "fake")) == "fake"
    assert runner.driver(_conf("linux", "fake")) == "linux"
    monkeypatch.setattr(runner.shutil, "which", lambda tool: None)
    assert runner.driver(_conf("auto", "qemu")) == "fake"


def test_retired_floating_ips_have_their_translated_flows_cut() -> None:
    script = nat.ruleset(_router(), None, retired=["172.24.4.30", "172.24.4.31"])
    assert "type filter hook forward priority filter" in script
    # The router still has .30: only .31's flows are cut.
    assert "ct original ip daddr { 172.24.4.31 } drop" in script
    assert "ct reply ip daddr { 172.24.4.31 } drop" in script
    assert "ct original" not in nat.ruleset(_router(), None, retired=["172.24.4.30"])
