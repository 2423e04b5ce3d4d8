"""A manager's periodic report: its backend's capacity to the schedulers, and heartbeats."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import func, select

from nimbostack.core.context import RequestContext
from nimbostack.volume.db.models import ImageCacheEntry, Volume
from nimbostack.volume.manager.host import BackendHost
from nimbostack.volume.messages import MANAGER, PoolReport, ReportCapacity
from nimbostack.volume.objects import services


async def provisioned(h: BackendHost) -> int:
    """GiB the volumes (and image-cache entries) placed on this backend promise."""
    async with h.state.db.reader() as s:
        size = func.coalesce(Volume.pending_size, Volume.size)
        volumes = await s.scalar(
            select(func.coalesce(func.sum(size), 0)).where(Volume.host.startswith(f"{h.name}#"))
        )
        cached = await s.scalar(
            select(func.coalesce(func.sum(ImageCacheEntry.size), 0)).where(
                ImageCacheEntry.host == h.name
            )
        )
    return int(volumes or 0) + int(cached or 0)


async def pool_report(h: BackendHost) -> PoolReport:
    cap = await h.backend.capacity()
    opts = h.backend.options
    return PoolReport(
        host=h.name,
        backend_name=opts.backend_name,
        pool=h.pool,
        availability_zone=str(h.options.storage_availability_zone),
        driver=h.backend.driver,
        total_capacity_gb=cap.total_gb,
        free_capacity_gb=cap.free_gb,
        provisioned_capacity_gb=float(await provisioned(h)),
        max_over_subscription_ratio=opts.max_over_subscription_ratio,
        reserved_percentage=opts.reserved_percentage,
        thin_provisioning_support=cap.thin,
        thick_provisioning_support=cap.thick,
        multiattach=h.backend.multiattach,
        online_extend=True,
        reported_at=time.time(),
    )


async def report(h: BackendHost, runtime_host: str) -> None:
    """Heartbeat as cinder-volume (and cinder-backup: backups run here) and report."""
    found = await pool_report(h)
    zone = found.availability_zone
    h.service_uuid = await services.heartbeat(
        h.state.db,
        host=h.name,
        binary=services.VOLUME,
        topic=MANAGER,
        zone=zone,
        capabilities=dataclasses.asdict(found),
    )
    await services.heartbeat(
        h.state.db, host=runtime_host, binary=services.BACKUP, topic="volume.backup", zone=zone
    )
    await h.state.rpc.fanout_schedulers(RequestContext.admin(), ReportCapacity(found))
