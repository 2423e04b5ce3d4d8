"""A guest's NICs from its network info: a tap per bridge-bound port, with the MTU."""

from __future__ import annotations

import dataclasses

from nimbostack.compute.agent.drivers.base import Vif as GuestVif
from nimbostack.compute.agent.guest import host_vifs
from nimbostack.compute.network_info import Vif, VifNetwork, from_port
from nimbostack.compute.objects.instances import to_record
from tests.unit.compute.test_instance_record import _row

PORT = "6f1c3d1e-9a35-4c4e-8d0f-2b7a9c1d0e5f"


def _vif(port_id: str, kind: str, mtu: int) -> Vif:
    return Vif(
        id=port_id,
        address="fa:16:3e:00:00:01",
        network=VifNetwork("net-1", "private", mtu),
        type=kind,
        details={"bridge_name": "brqnet-1"} if kind == "bridge" else {},
    )


def test_bridge_ports_get_a_tap_named_by_port_with_the_network_mtu() -> None:
    record = dataclasses.replace(
        to_record(_row()),
        network_info=[_vif(PORT, "bridge", 1450), _vif("other", "binding_failed", 1450)],
    )
    assert host_vifs(record) == (
        GuestVif(PORT, "fa:16:3e:00:00:01", bridge="brqnet-1", tap="tap6f1c3d1e-9a", mtu=1450),
    )


def test_an_mtu_not_recorded_is_ethernets() -> None:
    record = dataclasses.replace(to_record(_row()), network_info=[_vif(PORT, "bridge", 0)])
    assert [vif.mtu for vif in host_vifs(record)] == [1500]


def test_from_port_keeps_the_network_mtu_and_round_trips() -> None:
    port = {"id": PORT, "mac_address": "fa:16:3e:00:00:02", "network_id": "n", "fixed_ips": []}
    vif = from_port(port, "private", preserve=False, mtu=1450)
    assert vif.network.mtu == 1450 and vif.devname == "tap6f1c3d1e-9a"
    assert Vif.from_json(vif.to_json()) == vif
