"""createImage and the snapshot step of shelve: copy the root disk into a queued image."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.agent import shelve
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.messages import SnapshotInstance
from nimbostack.core import tracing
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
_SNAPSHOT_TASKS: list[str | None] = [
    states.IMAGE_SNAPSHOT,
    states.IMAGE_SNAPSHOT_PENDING,
    states.IMAGE_PENDING_UPLOAD,
    states.IMAGE_UPLOADING,
]


async def upload(agent: AgentHost, ctxt: RequestContext, uuid: str, image_id: str) -> None:
    """Snapshot the guest's disk to a temporary file and upload it as ``image_id``."""
    base_dir = agent.images.base_dir.parent / "_snapshots"
    base_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base_dir) as tmp:
        target = Path(tmp) / "disk"
        with tracing.span("driver.snapshot", service="compute-agent", instance_uuid=uuid):
            disk_format = await agent.driver.snapshot(uuid, target)
        if agent.image_access is None:
            LOG.warning("no image service configured: snapshot of %s not uploaded", uuid)
            return
        base, headers = await agent.access(ctxt)()
        await _set_formats(agent, base, headers, image_id, disk_format)
        with target.open("rb") as handle:
            resp = await agent.images.client.put(
                f"{base}/v2/images/{image_id}/file",
                content=handle.read(),
                headers={**headers, "Content-Type": "application/octet-stream"},
            )
        if resp.status_code >= 400:
            raise RuntimeError(f"uploading snapshot {image_id} failed: HTTP {resp.status_code}")


async def _set_formats(
    agent: AgentHost, base: str, headers: dict[str, str], image_id: str, disk_format: str
) -> None:
    """Make the queued image's formats say what the driver wrote (it knows best)."""
    record = await agent.images.client.get(f"{base}/v2/images/{image_id}", headers=headers)
    if record.status_code != 200:
        return
    current: dict[str, Any] = record.json()
    patch = [
        {"op": "replace" if current.get(key) else "add", "path": f"/{key}", "value": value}
        for key, value in (("disk_format", disk_format), ("container_format", "bare"))
        if current.get(key) != value
    ]
    if patch:
        await agent.images.client.patch(
            f"{base}/v2/images/{image_id}",
            json=patch,
            headers={**headers, "Content-Type": "application/openstack-images-v2.1-json-patch"},
        )


async def snapshot(agent: AgentHost, ctxt: RequestContext, msg: SnapshotInstance) -> None:
    if msg.shelve:
        await shelve.shelve(agent, ctxt, msg, upload)
        return
    uuid = msg.instance_uuid
    async with agent.locks.hold(uuid):
        try:
            async with agent.conductor.event(
                ctxt, uuid, msg.request_id, "compute_snapshot_instance"
            ):
                await agent.conductor.update(
                    ctxt, uuid, {"task_state": states.IMAGE_UPLOADING}, _SNAPSHOT_TASKS
                )
                await upload(agent, ctxt, uuid, msg.image_id)
        except Exception as exc:
            LOG.warning("snapshot of %s failed: %s", uuid, exc)
            await agent.conductor.fault(ctxt, uuid, exc)
        await agent.conductor.update(ctxt, uuid, {"task_state": None}, _SNAPSHOT_TASKS)
