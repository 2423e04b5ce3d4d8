"""Cinder's status strings for volumes, attachments, snapshots and backups, and their groups.

Clients wait on these exact strings, so they are Cinder's. A status in ``TRANSITIONAL``
is only ever held while a manager works on the resource: a manager that starts finds
none of its own left in one (manager/reconcile.py).
"""

from __future__ import annotations

# -- volumes ------------------------------------------------------------------------
CREATING = "creating"
AVAILABLE = "available"
RESERVED = "reserved"
ATTACHING = "attaching"
IN_USE = "in-use"
DETACHING = "detaching"
MAINTENANCE = "maintenance"
DELETING = "deleting"
ERROR = "error"
ERROR_DELETING = "error_deleting"
ERROR_EXTENDING = "error_extending"
EXTENDING = "extending"
BACKING_UP = "backing-up"
RESTORING_BACKUP = "restoring-backup"
DOWNLOADING = "downloading"
UPLOADING = "uploading"
RETYPING = "retyping"

VOLUME_STATUSES = (
    CREATING,
    AVAILABLE,
    RESERVED,
    ATTACHING,
    IN_USE,
    DETACHING,
    MAINTENANCE,
    DELETING,
    ERROR,
    ERROR_DELETING,
    ERROR_EXTENDING,
    EXTENDING,
    BACKING_UP,
    RESTORING_BACKUP,
    DOWNLOADING,
    UPLOADING,
    RETYPING,
)
TRANSITIONAL = (
    CREATING,
    ATTACHING,
    DETACHING,
    MAINTENANCE,
    DELETING,
    EXTENDING,
    BACKING_UP,
    RESTORING_BACKUP,
    DOWNLOADING,
    UPLOADING,
    RETYPING,
)
# Statuses from which a volume may be deleted without force.
DELETABLE = (AVAILABLE, ERROR, ERROR_EXTENDING, ERROR_DELETING)

# -- a volume's attach_status -----------------------------------------------------------
ATTACHED = "attached"
DETACHED = "detached"

# -- attachments ------------------------------------------------------------------------
ATT_RESERVED = "reserved"
ATT_ATTACHING = "attaching"
ATT_ATTACHED = "attached"
ATT_DETACHING = "detaching"
ATT_ERROR_ATTACHING = "error_attaching"
ATT_ERROR_DETACHING = "error_detaching"

# -- snapshots ------------------------------------------------------------------------
SNAP_CREATING = "creating"
SNAP_AVAILABLE = "available"
SNAP_DELETING = "deleting"
SNAP_ERROR = "error"
SNAP_ERROR_DELETING = "error_deleting"
SNAP_BACKING_UP = "backing-up"
SNAPSHOT_STATUSES = (
    SNAP_CREATING,
    SNAP_AVAILABLE,
    SNAP_DELETING,
    SNAP_ERROR,
    SNAP_ERROR_DELETING,
    SNAP_BACKING_UP,
)

# -- backups --------------------------------------------------------------------------
BACKUP_CREATING = "creating"
BACKUP_AVAILABLE = "available"
BACKUP_DELETING = "deleting"
BACKUP_ERROR = "error"
BACKUP_ERROR_DELETING = "error_deleting"
BACKUP_RESTORING = "restoring"
BACKUP_STATUSES = (
    BACKUP_CREATING,
    BACKUP_AVAILABLE,
    BACKUP_DELETING,
    BACKUP_ERROR,
    BACKUP_ERROR_DELETING,
    BACKUP_RESTORING,
)
