"""The REST client other services use (clients.network), against the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbostack.clients.identity import FixedAuth, Session
from nimbostack.clients.network import NetworkClient, NetworkError
from nimbostack.core.db.engine import sqlite_url
from tests.functional.network.conftest import network_conf, serve


async def test_the_client_creates_finds_pages_and_deletes(tmp_path: Path) -> None:
    # The server pages by three, so listing eight ports takes the client three pages.
    conf = network_conf(network={"pagination_max_limit": 3})
    async for api in serve(sqlite_url(tmp_path / "n.sqlite"), conf):
        client = NetworkClient(FixedAuth(Session("alice")), api.client, base="http://neutron")
        net = await client.create_network(name="blue")
        await client.create_subnet(network_id=net["id"], cidr="10.0.0.0/24", ip_version=4)
        assert (await client.find_network("blue"))["id"] == net["id"]  # type: ignore[index]
        assert (await client.find_network(net["id"]))["name"] == "blue"  # type: ignore[index]
        assert await client.find_network("red") is None
        made = [await client.create_port(network_id=net["id"], device_id="vm-1") for _ in range(8)]
        listed = await client.list_ports(device_id="vm-1")
        assert sorted(p["id"] for p in listed) == sorted(p["id"] for p in made)
        address = made[0]["fixed_ips"][0]["ip_address"]
        by_ip = await client.list_ports(fixed_ips=[f"ip_address={address}"])
        assert [p["id"] for p in by_ip] == [made[0]["id"]]
        updated = await client.update_port(made[0]["id"], name="first")
        assert updated["name"] == "first"
        await client.delete_port(made[0]["id"])
        await client.delete_port(made[0]["id"])  # already gone is fine
        assert await client.get_port(made[0]["id"]) is None
        with pytest.raises(NetworkError) as failure:
            await client.create_port(network_id="not-a-network")
        assert (failure.value.status, failure.value.kind) == (400, "HTTPBadRequest")
        groups = await client.list_security_groups(name="default")
        assert len(groups) == 1
