"""An attached volume grows while in use: block storage, compute's event, the agent.

Block storage's manager extends and tells compute ``volume-extended`` (here the test
delivers it to compute's API as block storage would); the agent reads the volume and
has the driver grow the guest's disk. A qcow2 file held by the guest can only grow
from the host: the volume stays ``extending`` until the agent answers with
os-extend_volume_completion, success or failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.compute.agent.drivers.base import DriverError
from tests.functional.compute.flow_support import LOOP_WATCH
from tests.functional.compute.volume_support import AttachCloud

pytestmark = LOOP_WATCH
GiB = 1024**3


@pytest.fixture(params=["raw", "qcow2"])
async def cloud(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[AttachCloud]:
    running = AttachCloud(tmp_path, NIMBOSTACK_BACKEND_FILE__VOLUME_FORMAT=request.param)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def _attached(cloud: AttachCloud) -> tuple[str, str]:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    resp = await cloud.attach(server, vol["id"])
    assert resp.status_code == 200, resp.text
    await cloud.volumes.wait_volume(vol["id"], "in-use")
    await cloud.flow.wait(server, lambda _i: vol["id"] in cloud.driver.guests[server].volumes)
    return server, vol["id"]


async def _extend_and_tell_compute(cloud: AttachCloud, server: str, volume_id: str) -> None:
    await cloud.volumes.ok(
        "POST", f"/v3/volumes/{volume_id}/action", {"os-extend": {"new_size": 2}}
    )
    # Block storage's manager told its (fake) compute; deliver the event to the real one.
    await cloud.volumes.wait_for(lambda: _events(cloud, volume_id), bool, timeout=30)
    event = {"name": "volume-extended", "server_uuid": server, "tag": volume_id}
    resp = await cloud.call("POST", "/os-server-external-events", {"events": [event]},
                            token="admin")  # fmt: skip
    assert resp.status_code == 200, resp.text


async def _events(cloud: AttachCloud, volume_id: str) -> list[object]:
    return [e for e in cloud.volumes.compute.events if e.get("tag") == volume_id]


async def test_the_guest_disk_grows_with_its_volume(cloud: AttachCloud) -> None:
    server, volume_id = await _attached(cloud)
    cloud.volumes.compute.servers.add(server)
    await _extend_and_tell_compute(cloud, server, volume_id)
    guest = cloud.driver.guests[server]
    await cloud.flow.wait(server, lambda _i: guest.volume_sizes.get(volume_id) == 2 * GiB)
    found = await cloud.volumes.wait_for(
        lambda: cloud.volumes.volume(volume_id),
        lambda v: v["status"] == "in-use" and v["size"] == 2,
    )
    assert "extend_new_size" not in found


@pytest.mark.parametrize("cloud", ["qcow2"], indirect=True)
async def test_a_disk_that_cannot_grow_leaves_a_held_qcow2_volume_as_it_was(
    cloud: AttachCloud,
) -> None:
    server, volume_id = await _attached(cloud)
    cloud.volumes.compute.servers.add(server)
    cloud.driver.failures["extend_volume"].append(DriverError("block_resize refused"))
    await _extend_and_tell_compute(cloud, server, volume_id)
    found = await cloud.volumes.wait_for(
        lambda: cloud.volumes.volume(volume_id),
        lambda v: v["status"] == "in-use",
    )
    assert found["size"] == 1
    assert ("extend_volume", server) in cloud.driver.calls
