"""``POST /servers`` with ``networks``: what the API refuses before recording anything.

Networks and ports are looked up with the caller's own token, so another project's
(unshared) network or port is not found: 400, as Nova answers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.compute.flow_support import LOOP_WATCH
from tests.functional.compute.network_support import NetworkedCloud

pytestmark = LOOP_WATCH


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[NetworkedCloud]:
    found = NetworkedCloud(tmp_path)
    await found.start()
    try:
        yield found
    finally:
        await found.stop()


def _fault(resp: httpx.Response) -> tuple[int, str]:
    body: dict[str, Any] = next(iter(resp.json().values()))
    return resp.status_code, str(body["message"])


async def _nothing_recorded(cloud: NetworkedCloud, token: str = "alice") -> None:
    listed = await cloud.compute("GET", "/servers", token=token)
    assert listed.json()["servers"] == []
    ports = await cloud.neutron("GET", "/ports", token="admin", device_owner="compute:nova")
    assert ports.json()["ports"] == []


async def test_unknown_network_is_400(cloud: NetworkedCloud) -> None:
    missing = str(uuid.uuid4())
    resp = await cloud.create_server([{"uuid": missing}])
    assert _fault(resp) == (400, f"Network {missing} could not be found.")
    await _nothing_recorded(cloud)


async def test_another_project_s_network_is_not_found(cloud: NetworkedCloud) -> None:
    bobs = await cloud.private_network(token="bob")
    resp = await cloud.create_server([{"uuid": bobs["id"]}], token="alice")
    assert _fault(resp) == (400, f"Network {bobs['id']} could not be found.")
    await _nothing_recorded(cloud)


async def test_another_project_s_port_is_not_found(cloud: NetworkedCloud) -> None:
    bobs = await cloud.private_network(token="bob")
    port = await cloud.create("port", "ports", "bob", network_id=bobs["id"])
    resp = await cloud.create_server([{"port": port["id"]}], token="alice")
    assert _fault(resp) == (400, f"Port id {port['id']} could not be found.")
    await _nothing_recorded(cloud)


async def test_port_in_use_is_409(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    port = await cloud.create("port", "ports", network_id=net["id"], device_id="other-device")
    resp = await cloud.create_server([{"port": port["id"]}])
    assert _fault(resp) == (409, f"Port {port['id']} is still in use.")


async def test_one_port_for_several_servers_is_400(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    port = await cloud.create("port", "ports", network_id=net["id"])
    resp = await cloud.create_server([{"port": port["id"]}], max_count=2)
    status, message = _fault(resp)
    assert status == 400 and "single configured port ID" in message


async def test_malformed_network_uuid_is_400(cloud: NetworkedCloud) -> None:
    resp = await cloud.create_server([{"uuid": "not-a-uuid"}])
    assert _fault(resp) == (
        400,
        "Bad networks format: network uuid is not in proper format (not-a-uuid)",
    )


async def test_malformed_fixed_ip_is_400(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    resp = await cloud.create_server([{"uuid": net["id"], "fixed_ip": "10.0.0.300"}])
    assert _fault(resp) == (400, "Invalid fixed IP address (10.0.0.300)")


async def test_network_without_subnet_is_400(cloud: NetworkedCloud) -> None:
    net = await cloud.create("network", "networks", name="empty")
    resp = await cloud.create_server([{"uuid": net["id"]}])
    assert _fault(resp) == (
        400,
        f"Network {net['id']} requires a subnet in order to boot instances on.",
    )


async def test_auto_with_several_networks_is_409(cloud: NetworkedCloud) -> None:
    await cloud.private_network()
    await cloud.private_network(cidr="10.1.0.0/24")
    resp = await cloud.create_server("auto")
    assert _fault(resp) == (
        409,
        "Multiple possible networks found, use a Network ID to be more specific.",
    )
    await _nothing_recorded(cloud)


async def test_auto_without_a_network_or_a_way_to_make_one_is_400(
    cloud: NetworkedCloud,
) -> None:
    # No default external network and no default subnet pool: nothing to build from.
    resp = await cloud.create_server("auto")
    status, message = _fault(resp)
    assert status == 400, resp.text
    assert message.startswith("Unable to automatically allocate a network for project")
    await _nothing_recorded(cloud)
