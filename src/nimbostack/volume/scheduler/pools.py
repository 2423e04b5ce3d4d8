"""What the scheduler knows of each backend: its last capacity report, less what it
placed there since (so a burst of requests does not pile onto one backend)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from nimbostack.volume.messages import NoValidBackend, PoolReport, VolumeSpec
from nimbostack.volume.scheduler import filters, weights


class Pools:
    """The backends' reports, newest per backend, kept in memory."""

    def __init__(self, down_time: float) -> None:
        self.down_time = down_time
        self.reports: dict[str, PoolReport] = {}
        self._first = asyncio.Event()

    def update(self, report: PoolReport) -> None:
        known = self.reports.get(report.host)
        if known is None or report.reported_at >= known.reported_at:
            self.reports[report.host] = report
        self._first.set()

    async def wait_for_reports(self, timeout: float) -> None:
        """A scheduler that just started waits briefly for its first report."""
        if not self.reports:
            try:
                await asyncio.wait_for(self._first.wait(), timeout)
            except TimeoutError:
                return

    def select(
        self,
        spec: VolumeSpec,
        *,
        disabled: set[str],
        exclude: str | None = None,
        requested: int | None = None,
    ) -> PoolReport:
        """The best backend for ``spec``; NoValidBackend when none passes the filters."""
        size = spec.size if requested is None else requested
        now = time.time()
        candidates = [
            pool
            for pool in self.reports.values()
            if now - pool.reported_at <= self.down_time
            and pool.host not in disabled
            and pool.host != exclude
            and (spec.backend is None or pool.host == spec.backend)
            and filters.availability_zone(pool, spec)
            and filters.capabilities(pool, spec)
            and filters.capacity(pool, spec, size)
        ]
        if not candidates:
            raise NoValidBackend(
                "No valid backend was found. Could not find any available weighted backend."
            )
        return weights.best(candidates, spec)

    def consume(self, pool: PoolReport, size: int) -> None:
        """Count a placement until the backend's next report includes it."""
        current = self.reports.get(pool.host, pool)
        self.reports[pool.host] = dataclasses.replace(
            current,
            provisioned_capacity_gb=current.provisioned_capacity_gb + size,
            free_capacity_gb=current.free_capacity_gb
            - (0 if pool.thin_provisioning_support else size),
        )
