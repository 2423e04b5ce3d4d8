"""The volume backend interface: what a manager asks of the storage under one backend.

A backend stores volumes and snapshots, reports its capacity, hands out the data as a
raw view (backups, migration) and makes a volume reachable from a host (``export``).
It knows nothing of the database, the API or the bus: the manager gives it the few
facts it needs as ``VolumeRef`` / ``SnapshotRef``, and stores the ``provider_location``
it returns. New backends (an LVM thin pool, say) implement this class;
the manager does not change.

Every method may take long: implementations run blocking work in threads or child
processes (core.process.spawn), never on the event loop.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimbostack.volume.options import BackendOptions

GiB = 1024**3


class BackendError(Exception):
    """The storage refused or failed an operation; the message is safe to show users."""


@dataclass(frozen=True)
class VolumeRef:
    """A volume as a backend sees it: its id, size and where the backend put it."""

    id: str
    size_gb: int
    provider_location: str | None = None


@dataclass(frozen=True)
class SnapshotRef:
    """A snapshot as a backend sees it, with the volume it was taken of."""

    id: str
    volume: VolumeRef
    provider_location: str | None = None


@dataclass(frozen=True)
class Capacity:
    """What the backend's storage can hold and has free (GiB), and how it provisions.

    What its volumes promise (provisioned capacity) is the manager's to count.
    """

    total_gb: float
    free_gb: float
    thin: bool
    thick: bool


@dataclass(frozen=True)
class ConnectionInfo:
    """How a host reaches a volume: Cinder's ``connection_info``.

    ``driver_volume_type`` names the transport: ``file`` (a path on the connector's own
    host; ``data`` has ``path`` and ``format``) or ``nbd`` for hosts elsewhere (``data``
    has ``host``, ``port``, ``export_name`` and the TLS pre-shared key's
    ``tls_psk_identity`` and ``tls_psk_key``). The manager adds ``access_mode``,
    ``qos_specs`` and the volume's id to ``data``.
    """

    driver_volume_type: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"driver_volume_type": self.driver_volume_type, "data": dict(self.data)}


class ExtendOutcome(enum.Enum):
    DONE = "done"
    # The data can only grow from the host using it (a qcow2 file open in QEMU):
    # compute must grow it and confirm with os-extend_volume_completion.
    NEEDS_HOST = "needs_host"


@dataclass(frozen=True)
class RawView:
    """A volume's data as a raw disk at ``path``, ``size`` bytes long.

    ``sparse`` says whether holes in the file read as zeros without being stored
    (SEEK_DATA/SEEK_HOLE can skip them); a block device is not sparse.
    """

    path: Path
    size: int
    sparse: bool


class Backend(ABC):
    """One backend of a volume manager (a ``[backend_<name>]`` section)."""

    driver: str = ""
    #: Whether one volume may be attached to several servers at once.
    multiattach: bool = True

    def __init__(self, options: BackendOptions, host: str) -> None:
        self.options = options
        self.host = host  # the manager's host name, connectors on it get local paths

    @property
    def name(self) -> str:
        return self.options.name

    async def start(self) -> None:  # noqa: B027  (optional hook)
        """Prepare the storage (directories, pools) before the manager serves."""

    async def stop(self) -> None:  # noqa: B027  (optional hook)
        """Release what ``start`` took."""

    # -- capacity ---------------------------------------------------------------------
    @abstractmethod
    async def capacity(self) -> Capacity: ...

    # -- volumes ----------------------------------------------------------------------
    @abstractmethod
    async def create(self, volume: VolumeRef) -> str | None:
        """Create an empty (all-zero) volume; returns its provider_location."""

    @abstractmethod
    async def delete(self, volume: VolumeRef) -> None:
        """Delete the volume's data; deleting a missing volume succeeds."""

    @abstractmethod
    async def extend(self, volume: VolumeRef, new_size_gb: int, *, attached: bool) -> ExtendOutcome:
        """Grow the volume; ``attached`` says a host has it open."""

    @abstractmethod
    async def clone(
        self, source: VolumeRef, volume: VolumeRef, *, in_use: bool = True
    ) -> str | None:
        """Create ``volume`` holding a copy of ``source`` (size may be larger).

        ``in_use`` False promises no host has ``source`` open (an image-cache entry),
        which lets a backend copy it the cheapest way.
        """

    @abstractmethod
    async def import_image(self, volume: VolumeRef, image: Path, image_format: str) -> str | None:
        """Create ``volume`` from an image file of a verified format (qemu-img's name)."""

    @abstractmethod
    async def export_image(self, volume: VolumeRef, target: Path, disk_format: str) -> None:
        """Write the volume's data to ``target`` as an image in ``disk_format``."""

    @abstractmethod
    def raw_reader(self, volume: VolumeRef) -> AbstractAsyncContextManager[RawView]:
        """The volume's data as a raw view to read from (a backup, a migration)."""

    @abstractmethod
    def raw_writer(self, volume: VolumeRef) -> AbstractAsyncContextManager[RawView]:
        """A raw view whose content becomes the volume's on a clean exit (a restore)."""

    def snapshot_reader(self, snapshot: SnapshotRef) -> AbstractAsyncContextManager[RawView]:
        """The snapshot's data as a raw view (a backup of a snapshot).

        By default a snapshot is read like a volume stored at its own location.
        """
        ref = VolumeRef(snapshot.id, snapshot.volume.size_gb, snapshot.provider_location)
        return self.raw_reader(ref)

    @abstractmethod
    async def copy_to(self, volume: VolumeRef, target: ConnectionInfo) -> None:
        """Copy the volume's data into another backend's volume, reached through
        ``target`` (its export to this host), for a migration."""

    async def virtual_size(self, volume: VolumeRef) -> int:
        """The volume's size in bytes as stored (used when reconciling an extend)."""
        return volume.size_gb * GiB

    async def volume_ids(self) -> set[str]:
        """Ids of the volumes whose data this backend holds (for reconciling)."""
        return set()

    # -- snapshots --------------------------------------------------------------------
    @abstractmethod
    async def create_snapshot(self, snapshot: SnapshotRef) -> str | None:
        """Copy the volume's current data into the snapshot; returns its location."""

    @abstractmethod
    async def delete_snapshot(self, snapshot: SnapshotRef) -> None:
        """Delete the snapshot's data; deleting a missing snapshot succeeds."""

    @abstractmethod
    async def create_from_snapshot(self, snapshot: SnapshotRef, volume: VolumeRef) -> str | None:
        """Create ``volume`` holding the snapshot's data (size may be larger)."""

    # -- exports ----------------------------------------------------------------------
    @abstractmethod
    async def export(
        self, volume: VolumeRef, attachment_id: str, connector: dict[str, Any]
    ) -> ConnectionInfo:
        """Make the volume reachable from the connector's host (BackendError if not)."""

    async def unexport(self, volume: VolumeRef, attachment_id: str) -> None:  # noqa: B027
        """Close what ``export`` opened for the attachment (nothing for local paths)."""

    async def exports(self) -> set[str]:
        """Attachment ids with an export open right now (reconciled on start)."""
        return set()

    def is_local(self, connector: dict[str, Any]) -> bool:
        """Whether the connector's host is this manager's own host."""
        return str(connector.get("host") or "") in ("", self.host)
