"""The fuzz's footing on the running cloud: a member of a fresh project and its resources.

Path parameters are drawn either from hostile text or from the ids of real resources
this member owns (its project, user, server, image, keypair, server group, network,
subnet, port, security group and rule, subnet pool, address group, volumes and what
hangs off them), so a hostile body also reaches the code behind a successful lookup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.security.world_volume import volume_known
from tests.support.cloud import Account, RunningCloud

COMPUTE_LATEST = {"OpenStack-API-Version": "compute latest"}


@dataclass
class World:
    """Who the fuzz is, and the real values it may put in path parameters."""

    cloud: RunningCloud
    account: Account
    token: str
    known: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.cloud.url(service)


def _ok(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code < 300, f"{resp.request.method} {resp.request.url}: {resp.text}"
    return resp.json() if resp.content else {}


def active_image(client: httpx.Client, base: str) -> str:
    """A small raw image, uploaded and active, owned by the client's project."""
    body = {"name": "fuzz", "disk_format": "raw", "container_format": "bare"}
    image = _ok(client.post(f"{base}/v2/images", json=body))["id"]
    upload = client.put(
        f"{base}/v2/images/{image}/file",
        content=b"\0" * 4096,
        headers={"Content-Type": "application/octet-stream"},
    )
    _ok(upload)
    return str(image)


def boot_server(client: httpx.Client, base: str, image: str) -> tuple[str, str]:
    """An ACTIVE server of the smallest flavor, and that flavor's id."""
    flavors = _ok(client.get(f"{base}/v2.1/flavors/detail"))["flavors"]
    flavor = min(flavors, key=lambda f: (f["ram"], f["disk"]))["id"]
    body = {"name": "fuzz", "imageRef": image, "flavorRef": flavor, "networks": "none"}
    server = _ok(client.post(f"{base}/v2.1/servers", json={"server": body}, headers=COMPUTE_LATEST))
    server_id = str(server["server"]["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = _ok(client.get(f"{base}/v2.1/servers/{server_id}"))["server"]
        if shown["status"] in ("ACTIVE", "ERROR"):
            assert shown["status"] == "ACTIVE", shown
            return server_id, str(flavor)
        time.sleep(0.1)
    raise AssertionError(f"server {server_id} never became ACTIVE")


def network_resources(client: httpx.Client, base: str) -> dict[str, str]:
    """A network with a subnet and a port, a security group, a subnet pool, an address
    group and a router, by the path parameters of the networking routes that name them."""
    v2 = f"{base}/v2.0"

    def made(plural: str, singular: str, **fields: Any) -> str:
        return str(_ok(client.post(f"{v2}/{plural}", json={singular: fields}))[singular]["id"])

    net = made("networks", "network", name="fuzz")
    group = _ok(client.post(f"{v2}/security-groups", json={"security_group": {"name": "fuzz"}}))
    _ok(client.put(f"{v2}/networks/{net}/tags/fuzz"))
    return {
        "network_id": net,
        "resource_id": net,
        "subnet_id": made("subnets", "subnet", network_id=net, cidr="10.77.0.0/24", ip_version=4),
        "port_id": made("ports", "port", network_id=net),
        "security_group_id": str(group["security_group"]["id"]),
        "rule_id": str(group["security_group"]["security_group_rules"][0]["id"]),
        "pool_id": made("subnetpools", "subnetpool", name="fuzz", prefixes=["10.78.0.0/16"]),
        "ag_id": made("address-groups", "address_group", name="fuzz", addresses=[]),
        "router_id": made("routers", "router", name="fuzz"),
        "alias": "security-group",
    }


def build_world(cloud: RunningCloud) -> World:
    account = cloud.make_project_user("fuzz")
    token = cloud.project_token(account.user, account.password, account.project)
    headers = {"X-Auth-Token": token}
    with httpx.Client(headers=headers, timeout=30) as client:
        image = active_image(client, cloud.url("image"))
        compute = cloud.url("compute")
        server, flavor = boot_server(client, compute, image)
        _ok(client.post(f"{compute}/v2.1/os-keypairs", json={"keypair": {"name": "fuzz-kp"}}))
        group = {"server_group": {"name": "fuzz", "policies": ["anti-affinity"]}}
        group_id = _ok(client.post(f"{compute}/v2.1/os-server-groups", json=group))
        _ok(client.put(f"{compute}/v2.1/servers/{server}/tags/fuzz", headers=COMPUTE_LATEST))
        network = network_resources(client, cloud.url("network"))
        volume = volume_known(client, cloud.url("volume"), server)
    known = {
        "project_id": account.project_id,
        "target_id": account.project_id,
        "user_id": account.user_id,
        "actor_id": account.user_id,
        "domain_id": "default",
        "image_id": image,
        "member_id": account.project_id,
        "server_id": server,
        "consumer_uuid": server,
        "flavor_id": flavor,
        "imageRef": image,
        "flavorRef": flavor,
        "name": "fuzz-kp",
        "group_id": str(group_id["server_group"]["id"]),
        "tag": "fuzz",
        "key": "fuzz",
        **network,
        "target_project_id": account.project_id,
        **volume,
    }
    return World(cloud, account, token, known)
