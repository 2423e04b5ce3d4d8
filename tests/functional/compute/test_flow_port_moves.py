"""Ports follow their server: cold and live migration, revert, unshelve, evacuation.

Two fake hosts, each with a fake L2 agent; a server on a network is moved through
the compute API (as admin), and its port must end bound, and wired, where it runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nimbostack.compute import states
from nimbostack.compute.messages import EvacuateInstance
from nimbostack.core.context import RequestContext
from tests.functional.compute.flow_support import LOOP_WATCH, set_task
from tests.functional.compute.network_support import NetworkedCloud

pytestmark = LOOP_WATCH


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[NetworkedCloud]:
    found = NetworkedCloud(tmp_path, vif_plugging_timeout=10)
    await found.start(hosts=("host1", "host2"))
    try:
        yield found
    finally:
        await found.stop()


async def _placed(cloud: NetworkedCloud) -> tuple[str, str, str]:
    """A server on a network: its id, its host and the other host."""
    net = await cloud.private_network()
    resp = await cloud.create_server([{"uuid": net["id"]}])
    assert resp.status_code == 202, resp.text
    server_id: str = resp.json()["server"]["id"]
    inst = await cloud.flow.wait_state(server_id, states.ACTIVE)
    source = str(inst.host)
    return server_id, source, "host2" if source == "host1" else "host1"


async def _action(cloud: NetworkedCloud, server_id: str, body: dict[str, Any]) -> None:
    resp = await cloud.compute("POST", f"/servers/{server_id}/action", body, token="admin")
    assert resp.status_code in (200, 202), resp.text


async def _binding(cloud: NetworkedCloud, server_id: str) -> tuple[str, str]:
    (port,) = await cloud.ports_of(server_id)
    return port["binding:host_id"], port["status"]


async def test_cold_migration_binds_the_port_on_the_destination_and_revert_back(
    cloud: NetworkedCloud,
) -> None:
    server_id, source, dest = await _placed(cloud)
    await _action(cloud, server_id, {"migrate": {"host": dest}})
    inst = await cloud.flow.wait_state(server_id, states.RESIZED)
    assert inst.host == dest
    assert await _binding(cloud, server_id) == (dest, "ACTIVE")
    assert inst.network_info[0]["details"]["bridge_name"]
    await _action(cloud, server_id, {"revertResize": None})
    inst = await cloud.flow.wait(
        server_id, lambda i: i.vm_state == states.ACTIVE and i.host == source
    )
    assert await _binding(cloud, server_id) == (source, "ACTIVE")


async def test_live_migration_binds_the_port_on_the_destination(cloud: NetworkedCloud) -> None:
    server_id, _source, dest = await _placed(cloud)
    await _action(cloud, server_id, {"os-migrateLive": {"host": dest, "block_migration": "auto"}})
    await cloud.flow.wait(server_id, lambda i: i.task_state is None and i.host == dest)
    assert await _binding(cloud, server_id) == (dest, "ACTIVE")


async def test_unshelve_binds_the_port_on_the_new_host(cloud: NetworkedCloud) -> None:
    server_id, _source, dest = await _placed(cloud)
    await _action(cloud, server_id, {"shelve": None})
    await cloud.flow.wait_state(server_id, states.SHELVED_OFFLOADED)  # offloaded at once
    (port,) = await cloud.ports_of(server_id)
    assert (port["device_id"], port["binding:host_id"]) == (server_id, "")  # bound nowhere
    await _action(cloud, server_id, {"unshelve": {"host": dest}})
    inst = await cloud.flow.wait_state(server_id, states.ACTIVE)
    assert inst.host == dest
    assert await _binding(cloud, server_id) == (dest, "ACTIVE")


async def test_evacuation_binds_the_port_on_the_new_host(cloud: NetworkedCloud) -> None:
    server_id, source, dest = await _placed(cloud)
    await cloud.flow.agents[source].kill()
    await set_task(cloud.flow, server_id, states.REBUILDING)
    flow = cloud.flow
    ctx = RequestContext(user_id="admin-id", project_id="admin-p", roles=["admin"])
    await flow.rpc.cast_conductor(ctx, EvacuateInstance(server_id, "req-e", host=dest))
    inst = await flow.wait_state(server_id, states.ACTIVE)
    assert inst.host == dest
    assert await _binding(cloud, server_id) == (dest, "ACTIVE")
