"""Compute's RPC contract: every message between its api, conductor, scheduler and agents.

Topics: ``compute.conductor``, ``compute.scheduler``, ``compute.agent.<host>``.
Instances travel by uuid; the agent reads and writes them only through the conductor.
Dict fields hold JSON documents whose shape the docstring names (a request spec is
``RequestSpec.to_dict``). An instance travels typed, as an ``InstanceRecord``
(``compute/instance_record.py``). Each server action the API casts to an agent has a
message type of its own, joined to its API name in ``compute/api/action_registry.py``;
the volume and interface attachments have theirs in ``compute/device_messages.py``.

An ``admin_pass`` field is the password a guest gets through its config drive: it
travels only in the messages of one build (or rebuild, evacuation), is stored nowhere,
and is left out of the messages' repr so that no log shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbostack.core.rpc import Message, RemoteExpectedError

CONDUCTOR = "compute.conductor"
SCHEDULER = "compute.scheduler"
AGENT = "compute.agent"


class UnexpectedTaskState(RemoteExpectedError):
    """The instance's task_state was not one the caller expected (a lost race)."""


class InstanceNotFound(RemoteExpectedError):
    """No (undeleted) instance with that uuid."""


class NoValidHost(RemoteExpectedError):
    """The scheduler found no host for the request."""


# --------------------------------------------------------------- to the conductor
@dataclass
class BuildInstances(Message):
    """api -> conductor, cast: schedule and build newly recorded instances."""

    name = "BuildInstances"
    version = "1.1"
    instance_uuids: list[str]
    request_spec: dict[str, Any]
    admin_pass: str | None = field(default=None, repr=False)  # 1.1


@dataclass
class GetInstance(Message):
    """agent -> conductor, call: the InstanceRecord (deleted ones only if asked)."""

    name = "GetInstance"
    instance_uuid: str
    read_deleted: bool = False


@dataclass
class UpdateInstance(Message):
    """agent -> conductor, call: apply ``values``; refuse unless task_state is expected.

    ``values["system_metadata"]``, if present, holds changes to merge (a None value
    removes its key), not the whole dict. Returns the updated InstanceRecord; raises
    UnexpectedTaskState.
    """

    name = "UpdateInstance"
    instance_uuid: str
    values: dict[str, Any]
    expected_task_state: list[str | None] | None = None


@dataclass
class RecordActionEvent(Message):
    """agent -> conductor, cast: start or finish a step of the instance's current action."""

    name = "RecordActionEvent"
    instance_uuid: str
    request_id: str
    event: str
    phase: str  # "start" or "finish"
    host: str
    result: str | None = None
    traceback: str | None = None
    # Added: with phase "finish", when no "start" was sent (a quick step reported in
    # one message), when the step started.
    start_time: float | None = None


@dataclass
class RecordFault(Message):
    """agent -> conductor, call: store a fault for an instance going to ERROR."""

    name = "RecordFault"
    instance_uuid: str
    code: int
    message: str
    host: str
    details: str | None = None


@dataclass
class ReportHost(Message):
    """agent -> conductor, call: heartbeat plus the host's resources and guests.

    ``resources`` is a HostResources as a dict; ``guests`` maps uuid -> power state.
    Returns ``{"compute_node_uuid": ..., "service_id": ...}``.
    """

    name = "ReportHost"
    host: str
    resources: dict[str, Any]
    guests: dict[str, int] = field(default_factory=dict)
    # Added: the agent's placement options (allocation ratios, reserved amounts):
    # {"cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio",
    #  "reserved_host_memory_mb", "reserved_host_disk_mb"}.
    inventory: dict[str, Any] | None = None


@dataclass
class BuildFailed(Message):
    """agent -> conductor, cast: a build failed on this host; reschedule or give up.

    ``reschedule`` False (since 1.1): no host would do better (the image is refused),
    so the build is aborted at once and ``reason`` becomes the instance's fault.
    """

    name = "BuildFailed"
    version = "1.1"
    instance_uuid: str
    host: str
    reason: str
    request_spec: dict[str, Any]
    reschedule: bool = True
    # The build's admin_pass, handed back for the next host.
    admin_pass: str | None = field(default=None, repr=False)


@dataclass
class InstanceTerminated(Message):
    """agent -> conductor, call: the guest is gone; mark deleted and free placement."""

    name = "InstanceTerminated"
    instance_uuid: str
    host: str


@dataclass
class ChangeBlockDevice(Message):
    """agent -> conductor, call: apply ``values`` (status, connection_info) to a block
    device mapping if its status is one of ``expected``; returns whether it did."""

    name = "ChangeBlockDevice"
    bdm_uuid: str
    values: dict[str, Any]
    expected_status: list[str] | None = None


@dataclass
class AddBlockDevice(Message):
    """agent -> conductor, call: record a volume a build made and reserved for the server
    (status ``attaching``); returns the mapping's uuid."""

    name = "AddBlockDevice"
    instance_uuid: str
    volume_id: str
    attachment_id: str
    device_name: str
    boot_index: int | None
    delete_on_termination: bool
    tag: str | None = None


@dataclass
class RemoveBlockDevice(Message):
    """agent -> conductor, call: forget a block device mapping (its volume is detached)."""

    name = "RemoveBlockDevice"
    bdm_uuid: str


@dataclass
class MigrateInstance(Message):
    """api -> conductor, cast: cold migrate (``flavor`` None) or resize to ``flavor``."""

    name = "MigrateInstance"
    instance_uuid: str
    request_id: str
    flavor: dict[str, Any] | None = None
    host: str | None = None


@dataclass
class UnshelveInstance(Message):
    """api -> conductor, cast: schedule and boot a shelved-offloaded instance.

    ``host`` (admin, 2.91+) pins the destination instead of letting the scheduler pick.
    """

    name = "UnshelveInstance"
    instance_uuid: str
    request_id: str
    availability_zone: str | None = None
    host: str | None = None


@dataclass
class LiveMigrateInstance(Message):
    """api -> conductor, cast: move a running instance to ``host`` (or a scheduled one)."""

    name = "LiveMigrateInstance"
    instance_uuid: str
    request_id: str
    host: str | None = None
    block_migration: bool = False


@dataclass
class EvacuateInstance(Message):
    """api -> conductor, cast: rebuild an instance of a down host somewhere else."""

    name = "EvacuateInstance"
    version = "1.1"
    instance_uuid: str
    request_id: str
    host: str | None = None
    on_shared_storage: bool = True
    admin_pass: str | None = field(default=None, repr=False)  # 1.1


@dataclass
class OffloadDue(Message):
    """conductor -> conductor, cast: offload shelved instances whose time has come."""

    name = "OffloadDue"


@dataclass
class ListHostInstances(Message):
    """agent -> conductor, call: the host's instances as ``{uuid: {vm_state, task_state,
    power_state}}`` (power sync and the reconciliation at start-up)."""

    name = "ListHostInstances"
    host: str


@dataclass
class InstanceOffloaded(Message):
    """agent -> conductor, call: the guest left this host (shelve offload, failed unshelve).

    The conductor marks the instance shelved_offloaded without a host and frees its
    placement allocation; refused unless its task_state is expected.
    """

    name = "InstanceOffloaded"
    instance_uuid: str
    host: str
    expected_task_state: list[str | None] | None = None


@dataclass
class UpdateMigration(Message):
    """agent -> conductor, call: a migration step finished; set its status and the instance.

    ``status`` drives placement: ``confirmed`` and ``completed`` drop the source
    allocation held by the migration, ``reverted`` and ``error`` give it back to the
    instance. ``finished`` and ``completed`` move the instance to the destination,
    ``reverted`` back to the source. An empty ``migration_uuid`` means the instance's
    migration awaiting confirmation. Returns the migration as a dict.
    """

    name = "UpdateMigration"
    instance_uuid: str
    migration_uuid: str
    status: str
    instance_values: dict[str, Any] = field(default_factory=dict)
    expected_task_state: list[str | None] | None = None


# --------------------------------------------------------------- to the scheduler
@dataclass
class SelectDestinations(Message):
    """conductor -> scheduler, call: hosts for each instance, claimed in placement.

    Returns one list per instance: the chosen host first, then alternates; each entry
    ``{"host", "nodename", "compute_node_uuid", "allocation_request"}``.
    Raises NoValidHost.
    """

    name = "SelectDestinations"
    request_spec: dict[str, Any]
    instance_uuids: list[str]
    return_alternates: bool = True


# --------------------------------------------------------------- to an agent
@dataclass
class BuildAndRunInstance(Message):
    """conductor -> agent, cast: build the instance on this host."""

    name = "BuildAndRunInstance"
    version = "1.1"
    instance_uuid: str
    request_spec: dict[str, Any]
    node: str
    request_id: str
    admin_pass: str | None = field(default=None, repr=False)  # 1.1


@dataclass
class InstanceTask(Message):
    """The fields of every one-instance task below; not sent itself (it has no name)."""

    instance_uuid: str
    request_id: str


@dataclass
class TerminateInstance(InstanceTask):
    """api -> agent, cast: destroy the guest and have the conductor mark it deleted."""

    name = "TerminateInstance"


@dataclass
class StopInstance(InstanceTask):
    """api -> agent, cast: power the guest off (task_state powering-off)."""

    name = "StopInstance"


@dataclass
class StartInstance(InstanceTask):
    """api -> agent, cast: power the guest on (task_state powering-on)."""

    name = "StartInstance"


@dataclass
class RebootInstance(InstanceTask):
    """api -> agent, cast: reboot the guest, through its OS (soft) or by a reset (hard)."""

    name = "RebootInstance"
    hard: bool = False


@dataclass
class PauseInstance(InstanceTask):
    """api -> agent, cast: freeze the guest in memory."""

    name = "PauseInstance"


@dataclass
class UnpauseInstance(InstanceTask):
    """api -> agent, cast: let a paused guest run again."""

    name = "UnpauseInstance"


@dataclass
class SuspendInstance(InstanceTask):
    """api -> agent, cast: save the guest's state to disk and free its CPU and RAM."""

    name = "SuspendInstance"


@dataclass
class ResumeInstance(InstanceTask):
    """api -> agent, cast: restore a suspended guest."""

    name = "ResumeInstance"


@dataclass
class UnrescueInstance(InstanceTask):
    """api -> agent, cast: leave the rescue system and boot the server's own disk."""

    name = "UnrescueInstance"


@dataclass
class OffloadInstance(InstanceTask):
    """api or conductor -> agent, cast: free the host of a shelved instance."""

    name = "OffloadInstance"


@dataclass
class UnshelveOnHost(InstanceTask):
    """conductor -> agent, cast: start a shelved, not yet offloaded, instance where it is."""

    name = "UnshelveOnHost"


@dataclass
class ConfirmResize(InstanceTask):
    """api -> the migration's source agent, cast: drop the old copy of a resized guest."""

    name = "ConfirmResize"
    migration_uuid: str


@dataclass
class SnapshotInstance(Message):
    """api -> agent, cast: upload the root disk into the queued image ``image_id``.

    With ``shelve`` set the guest is stopped first and ``offload`` says whether to
    free the host right away.
    """

    name = "SnapshotInstance"
    instance_uuid: str
    image_id: str
    request_id: str
    shelve: bool = False
    offload: bool = False


@dataclass
class SpawnOnHost(Message):
    """conductor -> agent, cast: boot an instance again (unshelve, evacuate) from ``image_ref``."""

    name = "SpawnOnHost"
    version = "1.1"
    instance_uuid: str
    image_ref: str
    node: str
    request_id: str
    reason: str  # "unshelve" or "evacuate"
    admin_pass: str | None = field(default=None, repr=False)  # 1.1: evacuate only


@dataclass
class RebuildInstance(Message):
    """api -> agent, cast: recreate the root disk from ``image_ref`` and restart."""

    name = "RebuildInstance"
    version = "1.1"
    instance_uuid: str
    image_ref: str
    request_id: str
    admin_pass: str | None = field(default=None, repr=False)  # 1.1


@dataclass
class RescueInstance(Message):
    """api -> agent, cast: boot a rescue image with the original disk attached."""

    name = "RescueInstance"
    instance_uuid: str
    rescue_image_ref: str
    request_id: str


@dataclass
class PrepResize(Message):
    """conductor -> destination agent, cast: get ready to receive a migration."""

    name = "PrepResize"
    instance_uuid: str
    migration_uuid: str
    flavor: dict[str, Any]
    node: str
    request_id: str


@dataclass
class ResizeInstance(Message):
    """destination agent -> source agent, cast: stop the guest and send its disks."""

    name = "ResizeInstance"
    instance_uuid: str
    migration_uuid: str
    flavor: dict[str, Any]
    dest_host: str
    request_id: str


@dataclass
class FinishResize(Message):
    """source agent -> destination agent, cast: start the guest from the sent disks."""

    name = "FinishResize"
    instance_uuid: str
    migration_uuid: str
    disk_info: dict[str, Any]
    request_id: str


@dataclass
class RevertResize(Message):
    """api -> destination agent, cast: drop the new copy; the source restores the old."""

    name = "RevertResize"
    instance_uuid: str
    migration_uuid: str
    request_id: str


@dataclass
class FinishRevertResize(Message):
    """destination agent -> source agent, cast: restart the old copy."""

    name = "FinishRevertResize"
    instance_uuid: str
    migration_uuid: str
    request_id: str


@dataclass
class PreLiveMigration(Message):
    """conductor -> destination agent, call: prepare; returns MigrateData as a dict."""

    name = "PreLiveMigration"
    instance_uuid: str
    migrate_data: dict[str, Any]


@dataclass
class LiveMigration(Message):
    """conductor -> source agent, cast: send the running guest to the destination."""

    name = "LiveMigration"
    instance_uuid: str
    migration_uuid: str
    migrate_data: dict[str, Any]
    request_id: str


@dataclass
class GetConsoleOutput(Message):
    """api -> agent, call: the serial console log (last ``length`` lines)."""

    name = "GetConsoleOutput"
    instance_uuid: str
    length: int | None = None


@dataclass
class GetConsole(Message):
    """api -> agent, call: where the guest's VNC console listens (ConsoleInfo dict)."""

    name = "GetConsole"
    instance_uuid: str


@dataclass
class ExternalEvent(Message):
    """api -> agent, cast: an event from another service (network-vif-plugged, ...)."""

    name = "ExternalEvent"
    instance_uuid: str
    event: str
    tag: str | None = None
    status: str = "completed"
