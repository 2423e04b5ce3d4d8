"""Block storage's RPC contract: every message between its api, scheduler and managers.

Topics: ``volume.scheduler`` (competing schedulers; capacity reports reach them all by
fanout) and ``volume.manager.<host>@<backend>`` (the one manager of a backend). The
api and the managers share the database: messages carry ids, and a manager reads the
records itself. Long work is cast (its outcome lands in the record's status, and in a
user message when it fails); what the caller needs back at once is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbostack.core.rpc import Message, RemoteExpectedError

SCHEDULER = "volume.scheduler"
MANAGER = "volume.manager"


class NoValidBackend(RemoteExpectedError):
    """No backend passed the scheduler's filters for the request."""


class ExportFailed(RemoteExpectedError):
    """A backend could not make a volume reachable from the connector's host."""


class BackendBusy(RemoteExpectedError):
    """The volume is not in a state the manager can work on (a lost race)."""


# ------------------------------------------------------------------ shared records
@dataclass
class TypeSpec:
    """The volume type a request asks for, as the scheduler filters on it."""

    id: str
    name: str
    extra_specs: dict[str, str] = field(default_factory=dict)


@dataclass
class VolumeSpec:
    """What to build: the volume record's id and size, where, and from what.

    ``source`` is one of ``empty``, ``image``, ``snapshot``, ``volume``, ``backup``
    with ``source_id`` naming it; ``backend`` pins the backend (``host@backend``) when
    the data must be made where the source lives (snapshots, clones).
    """

    volume_id: str
    size: int
    project_id: str
    availability_zone: str
    volume_type: TypeSpec
    source: str = "empty"
    source_id: str | None = None
    backend: str | None = None
    image_min_disk: int = 0


@dataclass
class PoolReport:
    """One backend's capacity and capabilities, as its manager last saw them."""

    host: str  # <host>@<backend>
    backend_name: str
    pool: str
    availability_zone: str
    driver: str
    total_capacity_gb: float
    free_capacity_gb: float
    provisioned_capacity_gb: float
    max_over_subscription_ratio: float
    reserved_percentage: int
    thin_provisioning_support: bool
    thick_provisioning_support: bool
    multiattach: bool
    online_extend: bool
    reported_at: float


# ------------------------------------------------------------------ to the scheduler
@dataclass
class CreateVolume(Message):
    """api -> scheduler, cast: place a recorded volume; scheduler -> manager, cast: build it.

    The scheduler fills ``backend`` with its choice and sends the same message on to
    ``volume.manager.<backend>``; when it finds none the volume goes to error with a
    user message.
    """

    name = "CreateVolume"
    spec: VolumeSpec


@dataclass
class FindBackend(Message):
    """api -> scheduler, call: the best backend (``host@backend``) for a volume's new home.

    Used by retype and migrate; ``exclude`` is the backend the volume is on. Raises
    NoValidBackend.
    """

    name = "FindBackend"
    spec: VolumeSpec
    exclude: str | None = None


@dataclass
class ReportCapacity(Message):
    """manager -> every scheduler, fanout cast: this backend's capacity, every interval."""

    name = "ReportCapacity"
    report: PoolReport


@dataclass
class PublishCapacity(Message):
    """scheduler -> every manager, fanout cast: report your capacity now (a scheduler
    started and knows nothing yet)."""

    name = "PublishCapacity"


# ------------------------------------------------------------------ to one manager
@dataclass
class DeleteVolume(Message):
    """api -> manager, cast: delete the volume's data (and its snapshots) and its record."""

    name = "DeleteVolume"
    volume_id: str


@dataclass
class ExtendVolume(Message):
    """api -> manager, cast: grow the volume to its recorded ``pending_size``.

    An attached volume whose data only its host can grow (a qcow2 file held by QEMU)
    stays ``extending`` until compute answers with os-extend_volume_completion.
    """

    name = "ExtendVolume"
    volume_id: str


@dataclass
class CompleteExtend(Message):
    """api -> manager, cast: compute grew an attached volume (or failed to); finish."""

    name = "CompleteExtend"
    volume_id: str
    error: bool = False


@dataclass
class CreateSnapshot(Message):
    """api -> manager, cast: copy the volume's data into the recorded snapshot."""

    name = "CreateSnapshot"
    snapshot_id: str


@dataclass
class DeleteSnapshot(Message):
    """api -> manager, cast: delete the snapshot's data and record."""

    name = "DeleteSnapshot"
    snapshot_id: str


@dataclass
class CreateBackup(Message):
    """api -> manager of the volume's backend, cast: back the volume up into the store."""

    name = "CreateBackup"
    backup_id: str


@dataclass
class DeleteBackup(Message):
    """api -> manager that wrote the backup, cast: delete its chunks and record."""

    name = "DeleteBackup"
    backup_id: str


@dataclass
class RestoreBackup(Message):
    """api -> manager of the target volume's backend, cast: write the backup into it."""

    name = "RestoreBackup"
    backup_id: str
    volume_id: str


@dataclass
class ExportVolume(Message):
    """api -> manager, call: make the volume reachable by the connector's host.

    Returns the attachment's ``connection_info`` (``ConnectionInfo.to_dict``).
    Raises ExportFailed.
    """

    name = "ExportVolume"
    volume_id: str
    attachment_id: str
    connector: dict[str, Any]


@dataclass
class UnexportVolume(Message):
    """api -> manager, call: close what ExportVolume opened for the attachment."""

    name = "UnexportVolume"
    volume_id: str
    attachment_id: str


@dataclass
class UploadToImage(Message):
    """api -> manager, cast: convert the volume into the recorded image and upload it.

    Runs with the caller's token (in the context) against the image service.
    """

    name = "UploadToImage"
    volume_id: str
    image_id: str
    disk_format: str


@dataclass
class RetypeVolume(Message):
    """api -> manager, cast: give the volume a new type, moving it to ``destination``
    (``host@backend``) when the new type needs another backend."""

    name = "RetypeVolume"
    volume_id: str
    new_type_id: str
    destination: str | None = None


@dataclass
class MigrateVolume(Message):
    """api -> manager of the volume, cast: move the volume's data to ``destination``."""

    name = "MigrateVolume"
    volume_id: str
    destination: str


@dataclass
class PrepareMigrationTarget(Message):
    """source manager -> destination manager, call: an empty volume to copy into.

    Returns its ``connection_info`` (``ConnectionInfo.to_dict``) and, under
    ``provider_location``, where the data will live once the move commits.
    """

    name = "PrepareMigrationTarget"
    volume_id: str
    size: int
    connector: dict[str, Any]


@dataclass
class FinishMigrationTarget(Message):
    """source manager -> destination manager, call: close the copy's export; with
    ``keep`` False, delete the copy (the move failed)."""

    name = "FinishMigrationTarget"
    volume_id: str
    keep: bool
