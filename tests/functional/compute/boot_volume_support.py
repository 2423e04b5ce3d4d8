"""Compute and block storage together, for servers booting from volumes.

The attach cloud (volume_support.py) plus what ``POST /servers`` needs: the default
flavors in compute's database, and the image service block storage reads images
from (its test double) answering compute's image look-ups too, so an image is the
same record on both sides.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.image import ImageClient
from nimbostack.compute import states
from nimbostack.compute.credentials import StaticAuth
from nimbostack.compute.objects.flavors import ensure_default_flavors
from tests.functional.compute.volume_support import CATALOG, AttachCloud
from tests.support.waiting import await_until

IMAGE_CATALOG = [
    *CATALOG,
    {"type": "image", "endpoints": [{"interface": "public", "url": "http://image"}]},
]
NANO = "42"  # m1.nano: 1 vCPU, 128 MiB, 1 GiB root disk


def volume_root(volume_id: str, **fields: Any) -> dict[str, Any]:
    """``openstack server create --volume``'s mapping."""
    return {
        "uuid": volume_id,
        "source_type": "volume",
        "destination_type": "volume",
        "boot_index": 0,
        **fields,
    }


def image_root(image_id: str, size: int = 1, **fields: Any) -> dict[str, Any]:
    """``openstack server create --boot-from-volume SIZE --image IMG``'s mapping."""
    return {
        "uuid": image_id,
        "source_type": "image",
        "destination_type": "volume",
        "volume_size": size,
        "boot_index": 0,
        **fields,
    }


class BootCloud(AttachCloud):
    async def start(self) -> None:
        await super().start()
        await ensure_default_flavors(self.flow.state.db)
        self.image_http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.volumes.images.app()), timeout=30
        )
        self.flow.state.auth = StaticAuth(Session("service", IMAGE_CATALOG))
        self.flow.state.image_client = lambda session: ImageClient(session, self.image_http)

    async def stop(self) -> None:
        await super().stop()
        await self.image_http.aclose()

    async def image(self, tmp: Path, **fields: Any) -> dict[str, Any]:
        """A small qcow2 image, registered with the image service."""
        path = tmp / "guest.qcow2"
        create = ["qemu-img", "create", "-q", "-f", "qcow2", str(path), "16M"]
        await asyncio.to_thread(subprocess.run, create, check=True)
        return self.volumes.images.add(path, "qcow2", **fields)

    async def create(
        self, mappings: list[dict[str, Any]], *, token: str = "member", **server: Any
    ) -> httpx.Response:
        body = {
            "server": {
                "name": "bfv",
                "imageRef": "",
                "flavorRef": NANO,
                "networks": "none",
                "block_device_mapping_v2": mappings,
                **server,
            }
        }
        return await self.call("POST", "/servers", body, token=token)

    async def created(self, mappings: list[dict[str, Any]], **server: Any) -> str:
        resp = await self.create(mappings, **server)
        assert resp.status_code == 202, resp.text
        return str(resp.json()["server"]["id"])

    async def wait_vm_state(self, server: str, vm_state: str) -> dict[str, Any]:
        async def shown() -> dict[str, Any] | None:
            found = (await self.call("GET", f"/servers/{server}")).json()["server"]
            return found if found["OS-EXT-STS:vm_state"] == vm_state else None

        return await await_until(shown, 30, f"server {server} {vm_state}")

    async def active(self, mappings: list[dict[str, Any]], **server: Any) -> str:
        uuid = await self.created(mappings, **server)
        await self.flow.wait_state(uuid, states.ACTIVE, timeout=30)
        return uuid

    async def volumes_of_project(self, token: str = "member") -> list[dict[str, Any]]:
        found = await self.volumes.ok("GET", "/v3/volumes/detail", token=token)
        return list(found["volumes"])

    async def gone(self, volume_id: str) -> bool:
        resp = await self.volumes.call("GET", f"/v3/volumes/{volume_id}", token="admin")
        return resp.status_code == 404
