"""What every workflow of one backend's manager shares: the backend, its name, locks.

``BackendHost`` also records failures the way users see them: the resource goes to
its error status and a user message says why (objects/user_messages).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from nimbostack.core.context import RequestContext
from nimbostack.volume.backends.base import Backend, SnapshotRef, VolumeRef
from nimbostack.volume.db.models import Snapshot, Volume
from nimbostack.volume.objects import snapshots, user_messages, volumes
from nimbostack.volume.objects.user_messages import Action
from nimbostack.volume.state import VolumeState

LOG = logging.getLogger(__name__)


def volume_ref(volume: Volume) -> VolumeRef:
    return VolumeRef(volume.id, volume.size, volume.provider_location)


def snapshot_ref(snapshot: Snapshot, volume: Volume) -> SnapshotRef:
    return SnapshotRef(snapshot.id, volume_ref(volume), snapshot.provider_location)


class BackendHost:
    """One backend as its manager runs it: ``name`` is ``<host>@<backend>``."""

    def __init__(self, state: VolumeState, backend: Backend, host: str) -> None:
        self.state = state
        self.backend = backend
        self.name = f"{host}@{backend.name}"
        self.pool = backend.options.backend_name
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # The cinder-volume service's uuid (volumes record it), known after a report.
        self.service_uuid: str | None = None
        # Work in flight, so a stopping manager can wait for it (or a test can).
        self.running: set[asyncio.Task[Any]] = set()

    @property
    def options(self) -> Any:
        return self.state.options

    @property
    def workdir(self) -> Path:
        """Scratch space of this backend's image conversions (emptied when it starts)."""
        return self.state.data_dir / "volume-conversion" / self.backend.name

    @property
    def volume_host(self) -> str:
        """The ``host`` column of volumes placed here."""
        return f"{self.name}#{self.pool}"

    def owns(self, host: str | None) -> bool:
        return bool(host) and str(host).partition("#")[0] == self.name

    @asynccontextmanager
    async def locked(self, resource_id: str) -> AsyncIterator[None]:
        """One workflow at a time per volume (or snapshot, backup) on this backend."""
        lock = self._locks[resource_id]
        async with lock:
            yield
        if not lock.locked() and not lock._waiters:
            self._locks.pop(resource_id, None)

    async def volume(self, volume_id: str) -> Volume | None:
        async with self.state.db.reader() as s:
            return await volumes.get_any(s, volume_id)

    async def snapshot(self, snapshot_id: str) -> Snapshot | None:
        async with self.state.db.reader() as s:
            return await s.get(Snapshot, snapshot_id)

    async def set_volume(self, volume_id: str, **values: Any) -> None:
        async with self.state.db.session() as s:
            await volumes.set_values(s, volume_id, values)

    async def set_snapshot(self, snapshot_id: str, **values: Any) -> None:
        async with self.state.db.session() as s:
            await snapshots.set_values(s, snapshot_id, values)

    async def tell_user(
        self,
        ctxt: RequestContext,
        *,
        project_id: str,
        resource_type: str,
        resource_id: str,
        action: Action,
        detail: str,
        text: str,
    ) -> None:
        """Record a user message about a failure (its text is safe to show)."""
        try:
            await user_messages.record(
                self.state.db,
                ctxt,
                project_id=project_id,
                resource_type=resource_type,
                resource_uuid=resource_id,
                action=action,
                detail=detail,
                text=text,
                ttl=int(self.options.message_ttl),
            )
        except Exception:
            LOG.exception("could not record a user message about %s", resource_id)
