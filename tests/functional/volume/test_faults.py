"""A manager stopped abruptly mid-work: after a restart nothing is left in a transitional
state, no half-made data remains, and quota usage equals what exists."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.functional.volume import disks
from tests.functional.volume.conftest import BOTH_FORMATS, VolumeCloud
from tests.functional.volume.test_images import _qcow2_image

pytestmark = BOTH_FORMATS
TRANSITIONAL = {
    "creating",
    "downloading",
    "deleting",
    "backing-up",
    "extending",
    "restoring-backup",
    "uploading",
    "retyping",
    "maintenance",
}


async def _usage_matches_rows(cloud: VolumeCloud) -> None:
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    listed = (await cloud.ok("GET", "/v3/volumes/detail"))["volumes"]
    backups = (await cloud.ok("GET", "/v3/backups/detail"))["backups"]
    quota = usage["quota_set"]
    assert quota["volumes"]["in_use"] == len(listed)
    assert quota["gigabytes"]["in_use"] == sum(v["size"] for v in listed)
    assert quota["backups"]["in_use"] == len(backups)
    assert not [v for v in listed if v["status"] in TRANSITIONAL]


def _gate_backend(
    cloud: VolumeCloud, method: str, gate: asyncio.Event, entered: asyncio.Event
) -> None:
    """Make the running backend's ``method`` (a context manager) wait for ``gate``."""
    backend = cloud.service.managers[0].host.backend  # type: ignore[union-attr]
    original = getattr(backend, method)

    def gated(*args: Any, **kwargs: Any) -> Any:
        @asynccontextmanager
        async def waiting() -> AsyncIterator[Any]:
            async with original(*args, **kwargs) as view:
                entered.set()
                await gate.wait()
                yield view

        return waiting()

    setattr(backend, method, gated)


async def test_restart_during_backup(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    await disks.write(disks.volume_path(cloud.data_dir, vol["id"]), cloud.fmt, 0, disks.MiB, 0x21)
    gate, entered = asyncio.Event(), asyncio.Event()
    _gate_backend(cloud, "raw_reader", gate, entered)
    made = await cloud.ok("POST", "/v3/backups", {"backup": {"volume_id": vol["id"]}})
    await asyncio.wait_for(entered.wait(), 30)
    assert (await cloud.volume(vol["id"]))["status"] == "backing-up"
    await cloud.restart(abrupt=True)
    backup = (await cloud.ok("GET", f"/v3/backups/{made['backup']['id']}"))["backup"]
    assert backup["status"] == "error" and "restarted" in backup["fail_reason"]
    assert (await cloud.volume(vol["id"]))["status"] == "available"
    store = cloud.data_dir / "backups" / backup["id"][:2] / backup["id"]
    assert not store.exists()
    assert list((cloud.data_dir / "volumes" / "file" / "_tmp").iterdir()) == []
    await _usage_matches_rows(cloud)
    # The volume can be backed up again.
    again = await cloud.ok("POST", "/v3/backups", {"backup": {"volume_id": vol["id"]}})
    done = await cloud.wait_for(
        lambda: cloud.ok("GET", f"/v3/backups/{again['backup']['id']}"),
        lambda b: b["backup"]["status"] in ("available", "error"),
    )
    assert done["backup"]["status"] == "available"


def _gate_image_download(cloud: VolumeCloud, gate: asyncio.Event, entered: asyncio.Event) -> None:
    app = cloud.router.transports["image"].app  # type: ignore[attr-defined]

    async def waiting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/file"):
            entered.set()
            await gate.wait()
        await app(scope, receive, send)

    cloud.router.transports["image"].app = waiting  # type: ignore[attr-defined]


async def test_restart_during_create_from_image(cloud: VolumeCloud, tmp_path: Path) -> None:
    image = cloud.images.add(await _qcow2_image(tmp_path), "qcow2")
    gate, entered = asyncio.Event(), asyncio.Event()
    _gate_image_download(cloud, gate, entered)
    made = await cloud.create_volume(size=1, imageRef=image["id"])
    await asyncio.wait_for(entered.wait(), 30)
    assert (await cloud.volume(made["id"]))["status"] == "downloading"
    await cloud.restart(abrupt=True)
    found = await cloud.volume(made["id"])
    assert found["status"] == "error"
    assert not disks.volume_path(cloud.data_dir, made["id"]).exists()
    conversion = cloud.data_dir / "volume-conversion" / "file"
    assert list(conversion.iterdir()) == []
    messages = await cloud.ok("GET", "/v3/messages", params={"resource_uuid": made["id"]})
    assert "restarted" in messages["messages"][0]["user_message"]
    await _usage_matches_rows(cloud)
    assert (await cloud.call("DELETE", f"/v3/volumes/{made['id']}")).status_code == 202
    await cloud.wait_for(
        lambda: cloud.call("GET", f"/v3/volumes/{made['id']}"), lambda r: r.status_code == 404
    )
    await _usage_matches_rows(cloud)


async def test_restart_finishes_an_interrupted_delete(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    backend = cloud.service.managers[0].host.backend  # type: ignore[union-attr]
    gate, entered = asyncio.Event(), asyncio.Event()
    original = backend.delete

    async def slow_delete(*args: Any) -> None:
        entered.set()
        await gate.wait()
        await original(*args)

    backend.delete = slow_delete  # type: ignore[method-assign]
    await cloud.ok("DELETE", f"/v3/volumes/{vol['id']}")
    await asyncio.wait_for(entered.wait(), 30)
    await cloud.restart(abrupt=True)
    gone = await cloud.call("GET", f"/v3/volumes/{vol['id']}")
    assert gone.status_code == 404
    assert not disks.volume_path(cloud.data_dir, vol["id"]).exists()
    await _usage_matches_rows(cloud)


async def test_restart_during_extend_keeps_the_volume_usable(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    backend = cloud.service.managers[0].host.backend  # type: ignore[union-attr]
    gate, entered = asyncio.Event(), asyncio.Event()

    async def stuck_extend(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await gate.wait()

    backend.extend = stuck_extend  # type: ignore[method-assign]
    await cloud.ok("POST", f"/v3/volumes/{vol['id']}/action", {"os-extend": {"new_size": 2}})
    await asyncio.wait_for(entered.wait(), 30)
    await cloud.restart(abrupt=True)
    found = await cloud.volume(vol["id"])
    assert found["status"] == "available" and found["size"] == 1
    await _usage_matches_rows(cloud)
