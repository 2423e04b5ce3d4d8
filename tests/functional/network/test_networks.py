"""Networks: create, show, update, delete; provider segments, MTU, revisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nimbostack.core.db.engine import sqlite_url
from tests.functional.network.conftest import Neutron, error_of, network_conf, serve


@pytest.fixture
def api(any_api: Neutron) -> Neutron:
    """These write paths run on SQLite and on PostgreSQL."""
    return any_api


PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")


async def test_a_project_network_gets_a_vxlan_segment_and_mtu_1450(api: Neutron) -> None:
    net = await api.network(token="alice")
    assert net["mtu"] == 1450 and net["status"] == "ACTIVE" and net["shared"] is False
    assert not any(key in net for key in PROVIDER), "provider attributes are for admins"
    shown = (await api.call("GET", f"/v2.0/networks/{net['id']}")).json()["network"]
    assert shown["provider:network_type"] == "vxlan"
    assert shown["provider:physical_network"] is None
    assert 1 <= shown["provider:segmentation_id"] <= 1000


async def test_a_flat_provider_network_has_mtu_1500(api: Neutron) -> None:
    net = await api.network(
        **{"provider:network_type": "flat", "provider:physical_network": "public"}
    )
    assert net["mtu"] == 1500
    assert (net["provider:network_type"], net["provider:physical_network"]) == ("flat", "public")
    again = await api.call(
        "POST",
        "/v2.0/networks",
        {"network": {"provider:network_type": "flat", "provider:physical_network": "public"}},
    )
    assert error_of(again)[:2] == (409, "FlatNetworkInUse")


async def test_a_vlan_provider_network_takes_the_asked_id_once(api: Neutron) -> None:
    body: dict[str, Any] = {
        "provider:network_type": "vlan",
        "provider:physical_network": "physnet1",
        "provider:segmentation_id": 150,
    }
    net = await api.network(**body)
    assert (net["provider:segmentation_id"], net["mtu"]) == (150, 1500)
    again = await api.call("POST", "/v2.0/networks", {"network": body})
    assert error_of(again)[:2] == (409, "VlanIdInUse")
    assert (await api.call("DELETE", f"/v2.0/networks/{net['id']}")).status_code == 204
    await api.network(**body)  # released with its network


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"provider:network_type": "vlan", "provider:physical_network": "physnet1",
             "provider:segmentation_id": 4095},
            "segmentation_id out of range (1 through 4094)",
        ),
        (
            {"provider:network_type": "vxlan", "provider:segmentation_id": 2**24},
            "segmentation_id out of range (1 through 16777215)",
        ),
        (
            {"provider:network_type": "flat", "provider:physical_network": "nowhere"},
            "physical_network 'nowhere' unknown for flat provider network",
        ),
        ({"provider:network_type": "gre"}, "network_type value 'gre' not supported"),
        ({"provider:segmentation_id": 5}, "network_type required"),
    ],
)  # fmt: skip
async def test_bad_provider_segments_are_400(
    api: Neutron, body: dict[str, object], message: str
) -> None:
    resp = await api.call("POST", "/v2.0/networks", {"network": body})
    assert error_of(resp) == (400, "InvalidInput", f"Invalid input for operation: {message}.")


async def test_provider_attributes_are_for_admins_only(api: Neutron) -> None:
    body = {"network": {"name": "x", "provider:network_type": "vxlan"}}
    resp = await api.call("POST", "/v2.0/networks", body, token="alice")
    status, kind, message = error_of(resp)
    assert (status, kind) == (403, "PolicyNotAuthorized")
    assert "create_network:provider:network_type" in message
    shared = await api.call("POST", "/v2.0/networks", {"network": {"shared": True}}, token="alice")
    assert error_of(shared)[:2] == (403, "PolicyNotAuthorized")
    assert (await api.call("GET", "/v2.0/networks", token="alice")).json()["networks"] == []


async def test_multi_provider_segments(api: Neutron) -> None:
    segments = [
        {"provider:network_type": "vlan", "provider:physical_network": "physnet1",
         "provider:segmentation_id": 120},
        {"provider:network_type": "vxlan", "provider:segmentation_id": 5000},
    ]  # fmt: skip
    net = await api.network(segments=segments)
    assert net["segments"] == [segments[0], {**segments[1], "provider:physical_network": None}]
    assert net["mtu"] == 1450
    both = {"segments": segments, "provider:network_type": "vxlan"}
    resp = await api.call("POST", "/v2.0/networks", {"network": both})
    assert error_of(resp) == (
        400,
        "SegmentsSetInConjunctionWithProviders",
        "Segments and provider values cannot both be set.",
    )


async def test_an_exhausted_vni_range_is_503_and_a_delete_frees_its_vni(tmp_path: Path) -> None:
    conf = network_conf(ml2_type_vxlan={"vni_ranges": ["7:8"]})
    async for api in serve(sqlite_url(tmp_path / "n.sqlite"), conf):
        first = await api.network(token="alice")
        await api.network(token="alice")
        full = await api.call("POST", "/v2.0/networks", {"network": {}}, token="alice")
        assert error_of(full) == (
            503,
            "NoNetworkAvailable",
            "Unable to create the network. No tenant network is available for allocation.",
        )
        await api.call("DELETE", f"/v2.0/networks/{first['id']}", token="alice")
        again = await api.network()
        assert again["provider:segmentation_id"] in (7, 8)


async def test_update_bumps_the_revision_and_if_match_guards_it(api: Neutron) -> None:
    net = await api.network(token="alice")
    path = f"/v2.0/networks/{net['id']}"
    renamed = await api.call("PUT", path, {"network": {"name": "new"}}, token="alice")
    assert renamed.status_code == 200
    assert renamed.json()["network"]["revision_number"] == net["revision_number"] + 1
    stale = await api.call(
        "PUT",
        path,
        {"network": {"name": "stale"}},
        token="alice",
        headers={"If-Match": f"revision_number={net['revision_number']}"},
    )
    assert error_of(stale)[:2] == (412, "RevisionNumberConstraintFailed")
    current = renamed.json()["network"]["revision_number"]
    fresh = await api.call(
        "PUT",
        path,
        {"network": {"name": "fresh"}},
        token="alice",
        headers={"If-Match": f"revision_number={current}"},
    )
    assert fresh.json()["network"]["name"] == "fresh"


async def test_read_only_and_unknown_attributes_are_400(api: Neutron) -> None:
    net = await api.network(token="alice")
    path = f"/v2.0/networks/{net['id']}"
    resp = await api.call("PUT", path, {"network": {"status": "DOWN"}}, token="alice")
    assert error_of(resp) == (400, "HTTPBadRequest", "Cannot update read-only attribute status")
    resp = await api.call("POST", "/v2.0/networks", {"network": {"colour": "red"}})
    assert error_of(resp) == (400, "HTTPBadRequest", "Unrecognized attribute(s) 'colour'")
    resp = await api.call("POST", "/v2.0/networks", {"network": {"admin_state_up": "maybe"}})
    assert error_of(resp)[:2] == (400, "HTTPBadRequest")
    assert "Invalid input for admin_state_up" in error_of(resp)[2]


async def test_a_network_with_ports_is_in_use_but_its_dhcp_port_goes_with_it(
    api: Neutron,
) -> None:
    net = await api.network(token="alice")
    await api.subnet(net, token="alice")
    port = await api.port(net, token="alice")
    path = f"/v2.0/networks/{net['id']}"
    resp = await api.call("DELETE", path, token="alice")
    assert error_of(resp) == (
        409,
        "NetworkInUse",
        f"Unable to complete operation on network {net['id']}. "
        "There are one or more ports still in use on the network.",
    )
    await api.call("DELETE", f"/v2.0/ports/{port['id']}", token="alice")
    dhcp = await api.port(net, device_owner="network:dhcp")
    assert (await api.call("DELETE", path, token="alice")).status_code == 204
    gone = await api.call("GET", f"/v2.0/ports/{dhcp['id']}")
    assert error_of(gone)[:2] == (404, "PortNotFound")
    assert error_of(await api.call("GET", path))[:2] == (404, "NetworkNotFound")


async def test_bulk_create(api: Neutron) -> None:
    body = {"networks": [{"name": "one"}, {"name": "two"}]}
    resp = await api.call("POST", "/v2.0/networks", body, token="alice")
    assert resp.status_code == 201
    assert [n["name"] for n in resp.json()["networks"]] == ["one", "two"]


async def test_mtu_is_writable_within_the_segment_s_maximum(api: Neutron) -> None:
    net = await api.network(token="alice", mtu=1400)
    assert net["mtu"] == 1400
    path = f"/v2.0/networks/{net['id']}"
    too_big = await api.call("PUT", path, {"network": {"mtu": 1500}}, token="alice")
    assert error_of(too_big) == (
        400,
        "InvalidInput",
        "Invalid input for operation: Requested MTU is too big, maximum is 1450.",
    )
