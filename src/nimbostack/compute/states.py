"""Nova's instance state strings (vm_state, task_state, power_state) and the API status.

Clients read these strings, so they are Nova's exactly. The API ``status`` is derived
from vm_state and task_state the way Nova derives it.
"""

from __future__ import annotations

# vm_state: the stable state of an instance.
ACTIVE = "active"
BUILDING = "building"
PAUSED = "paused"
SUSPENDED = "suspended"
STOPPED = "stopped"
RESCUED = "rescued"
RESIZED = "resized"
SOFT_DELETED = "soft-delete"
DELETED = "deleted"
ERROR = "error"
SHELVED = "shelved"
SHELVED_OFFLOADED = "shelved_offloaded"

# task_state: what is happening to it right now (None when idle).
SCHEDULING = "scheduling"
BLOCK_DEVICE_MAPPING = "block_device_mapping"
NETWORKING = "networking"
SPAWNING = "spawning"
IMAGE_SNAPSHOT = "image_snapshot"
IMAGE_SNAPSHOT_PENDING = "image_snapshot_pending"
IMAGE_PENDING_UPLOAD = "image_pending_upload"
IMAGE_UPLOADING = "image_uploading"
UPDATING_PASSWORD = "updating_password"
RESIZE_PREP = "resize_prep"
RESIZE_MIGRATING = "resize_migrating"
RESIZE_MIGRATED = "resize_migrated"
RESIZE_FINISH = "resize_finish"
RESIZE_REVERTING = "resize_reverting"
RESIZE_CONFIRMING = "resize_confirming"
REBOOTING = "rebooting"
REBOOT_PENDING = "reboot_pending"
REBOOT_STARTED = "reboot_started"
REBOOTING_HARD = "rebooting_hard"
REBOOT_PENDING_HARD = "reboot_pending_hard"
REBOOT_STARTED_HARD = "reboot_started_hard"
PAUSING = "pausing"
UNPAUSING = "unpausing"
SUSPENDING = "suspending"
RESUMING = "resuming"
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"
RESCUING = "rescuing"
UNRESCUING = "unrescuing"
REBUILDING = "rebuilding"
REBUILD_BLOCK_DEVICE_MAPPING = "rebuild_block_device_mapping"
REBUILD_SPAWNING = "rebuild_spawning"
MIGRATING = "migrating"
DELETING = "deleting"
SOFT_DELETING = "soft-deleting"
RESTORING = "restoring"
SHELVING = "shelving"
SHELVING_IMAGE_PENDING_UPLOAD = "shelving_image_pending_upload"
SHELVING_IMAGE_UPLOADING = "shelving_image_uploading"
SHELVING_OFFLOADING = "shelving_offloading"
UNSHELVING = "unshelving"

# power_state: what the hypervisor reports (integers on the wire, as in Nova).
NOSTATE = 0
RUNNING = 1
PAUSED_POWER = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED_POWER = 7

POWER_STATE_NAMES = {
    NOSTATE: "NOSTATE",
    RUNNING: "RUNNING",
    PAUSED_POWER: "PAUSED",
    SHUTDOWN: "SHUTDOWN",
    CRASHED: "CRASHED",
    SUSPENDED_POWER: "SUSPENDED",
}

_STATUS_BY_VM_STATE = {
    ACTIVE: "ACTIVE",
    BUILDING: "BUILD",
    STOPPED: "SHUTOFF",
    RESIZED: "VERIFY_RESIZE",
    PAUSED: "PAUSED",
    SUSPENDED: "SUSPENDED",
    RESCUED: "RESCUE",
    ERROR: "ERROR",
    DELETED: "DELETED",
    SOFT_DELETED: "SOFT_DELETED",
    SHELVED: "SHELVED",
    SHELVED_OFFLOADED: "SHELVED_OFFLOADED",
}

# Task states that override the status while an ACTIVE (or STOPPED) server is busy.
_STATUS_BY_TASK = {
    REBOOTING: "REBOOT",
    REBOOT_PENDING: "REBOOT",
    REBOOT_STARTED: "REBOOT",
    REBOOTING_HARD: "HARD_REBOOT",
    REBOOT_PENDING_HARD: "HARD_REBOOT",
    REBOOT_STARTED_HARD: "HARD_REBOOT",
    UPDATING_PASSWORD: "PASSWORD",
    REBUILDING: "REBUILD",
    REBUILD_BLOCK_DEVICE_MAPPING: "REBUILD",
    REBUILD_SPAWNING: "REBUILD",
    MIGRATING: "MIGRATING",
    RESIZE_PREP: "RESIZE",
    RESIZE_MIGRATING: "RESIZE",
    RESIZE_MIGRATED: "RESIZE",
    RESIZE_FINISH: "RESIZE",
    RESIZE_REVERTING: "REVERT_RESIZE",
}


def server_status(vm_state: str, task_state: str | None) -> str:
    """The ``status`` field of a server, as Nova computes it."""
    if task_state == DELETING:
        return "DELETED" if vm_state == DELETED else _STATUS_BY_VM_STATE.get(vm_state, "UNKNOWN")
    if vm_state in (ACTIVE, STOPPED) and task_state in _STATUS_BY_TASK:
        if vm_state == STOPPED and task_state not in (
            RESIZE_PREP,
            RESIZE_MIGRATING,
            RESIZE_MIGRATED,
            RESIZE_FINISH,
            REBUILDING,
            REBUILD_SPAWNING,
            REBUILD_BLOCK_DEVICE_MAPPING,
        ):
            return "SHUTOFF"
        return _STATUS_BY_TASK[task_state]
    if vm_state == RESIZED and task_state == RESIZE_REVERTING:
        return "REVERT_RESIZE"
    return _STATUS_BY_VM_STATE.get(vm_state, "UNKNOWN")
