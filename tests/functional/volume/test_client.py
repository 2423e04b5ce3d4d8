"""The REST client compute will use (clients/volume.py) against the real API."""

from __future__ import annotations

import uuid

import httpx
import pytest

from nimbostack.clients.identity import Session
from nimbostack.clients.volume import VolumeClient, VolumeError
from tests.functional.volume.conftest import VolumeCloud

CATALOG = [
    {"type": "block-storage", "endpoints": [{"interface": "public", "url": "http://volume/v3"}]}
]


def _client(cloud: VolumeCloud, token: str, service_token: str | None = None) -> VolumeClient:
    http = httpx.AsyncClient(transport=cloud.transport, base_url="http://volume")
    return VolumeClient(Session(token, CATALOG), http, service_token=service_token)


async def test_compute_attach_flow_through_the_client(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    client = _client(cloud, "member", service_token="service")
    server = str(uuid.uuid4())
    reserved = await client.create_attachment(vol["id"], server)
    assert reserved.status == "reserved" and reserved.connection is None
    connector = {"host": "testhost", "mountpoint": "/dev/vdb"}
    connected = await client.update_attachment(reserved.id, connector)
    assert connected.connection is not None
    assert connected.connection.driver_volume_type == "file"
    assert connected.connection.data["format"] == cloud.fmt
    assert connected.connection.data["path"].endswith(f"volume-{vol['id']}")
    assert await client.get_encryption_metadata(vol["id"]) == {"encryption_key_id": None}
    await client.complete_attachment(reserved.id)
    shown = await client.get_volume(vol["id"])
    assert shown.status == "in-use" and shown.attachments[0]["server_id"] == server
    await client.delete_attachment(reserved.id)
    assert (await client.get_volume(vol["id"])).status == "available"
    with pytest.raises(VolumeError) as missing:
        await client.get_attachment(reserved.id)
    assert missing.value.status == 404
    await client.close()


async def test_the_client_without_a_service_token_cannot_delete_a_live_attachment(
    cloud: VolumeCloud,
) -> None:
    vol = await cloud.available_volume()
    client = _client(cloud, "member")
    server = str(uuid.uuid4())
    att = await client.create_attachment(vol["id"], server, connector={"host": "testhost"})
    await client.complete_attachment(att.id)
    cloud.compute.servers.add(server)
    cloud.compute.attachments[(server, vol["id"])] = att.id
    with pytest.raises(VolumeError) as refused:
        await client.delete_attachment(att.id)
    assert refused.value.status == 409
    await client.close()
