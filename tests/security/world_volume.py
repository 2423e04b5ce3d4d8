"""The fuzz's block storage resources: volumes in each kind of state a route looks for.

One volume with metadata, a snapshot and a backup; one reserved for the fuzz's server
through an attachment; one offered for transfer. Path parameters named after them
(``volume_id``, ``snapshot_id``, ...) then reach the code behind a successful lookup.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

# Attachments need 3.27, transfers at /volume-transfers 3.55, types/default 3.62.
VOLUME_LATEST = {"OpenStack-API-Version": "volume latest"}


def _ok(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code < 300, f"{resp.request.method} {resp.request.url}: {resp.text}"
    return resp.json() if resp.content else {}


def _made(client: httpx.Client, url: str, kind: str, body: dict[str, Any]) -> str:
    """Create a ``kind`` (volume, snapshot, backup) and wait until it is available."""
    made = _ok(client.post(f"{url}/{kind}s", json={kind: body}, headers=VOLUME_LATEST))
    ident = str(made[kind]["id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = _ok(client.get(f"{url}/{kind}s/{ident}"))[kind]
        if shown["status"] in ("available", "error"):
            assert shown["status"] == "available", shown
            return ident
        time.sleep(0.1)
    raise AssertionError(f"{kind} {ident} never became available")


def volume_known(client: httpx.Client, base: str, server: str) -> dict[str, str]:
    """Real values for the block storage API's path parameters, owned by the client."""
    url = f"{base}/v3"
    volume = _made(client, url, "volume", {"size": 1, "name": "fuzz", "metadata": {"fuzz": "1"}})
    snap = {"volume_id": volume, "name": "fuzz", "metadata": {"fuzz": "1"}}
    snapshot = _made(client, url, "snapshot", snap)
    backup = _made(client, url, "backup", {"volume_id": volume, "name": "fuzz"})
    reserved = _made(client, url, "volume", {"size": 1, "name": "fuzz-attached"})
    attach = {"attachment": {"volume_uuid": reserved, "instance_uuid": server}}
    attachment = _ok(client.post(f"{url}/attachments", json=attach, headers=VOLUME_LATEST))
    offered = _made(client, url, "volume", {"size": 1, "name": "fuzz-transfer"})
    offer = {"transfer": {"volume_id": offered, "name": "fuzz"}}
    transfer = _ok(client.post(f"{url}/volume-transfers", json=offer, headers=VOLUME_LATEST))
    default_type = _ok(client.get(f"{url}/types/default", headers=VOLUME_LATEST))
    return {
        "volume_id": volume,
        "snapshot_id": snapshot,
        "backup_id": backup,
        "attachment_id": str(attachment["attachment"]["id"]),
        "transfer_id": str(transfer["transfer"]["id"]),
        "type_id": str(default_type["volume_type"]["id"]),
        "class_name": "default",
        "action": "disable",
    }
