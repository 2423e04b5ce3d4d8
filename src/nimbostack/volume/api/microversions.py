"""The microversions at which the API changes, by name, and the filters lists accept."""

from __future__ import annotations

MESSAGES = "3.3"
BACKUP_UPDATE = "3.9"
VOLUMES_SUMMARY = "3.12"
GROUP_VOLUME = "3.13"
BACKUP_PROJECT = "3.18"
VOLUME_DETAIL_PROVIDER_ID = "3.21"
NEW_ATTACH = "3.27"
RESOURCE_FILTER = "3.31"
LIKE_FILTER = "3.34"
SNAPSHOT_LIST_USER_ID = "3.41"
VOLUME_EXTEND_INUSE = "3.42"
BACKUP_METADATA = "3.43"
NEW_ATTACH_COMPLETION = "3.44"
SUPPORT_COUNT_INFO = "3.45"
VOLUME_CREATE_FROM_BACKUP = "3.47"
SHARED_TARGETS = "3.48"
ATTACHMENT_CREATE_MODE_ARG = "3.54"
TRANSFER_WITH_SNAPSHOTS = "3.55"
BACKUP_USER_ID = "3.56"
TRANSFER_WITH_HISTORY = "3.57"
VOLUME_TIME_COMPARISON_FILTER = "3.60"
VOLUME_CLUSTER_NAME = "3.61"
DEFAULT_TYPE_OVERRIDES = "3.62"
VOLUME_TYPE_ID_IN_VOLUME_DETAIL = "3.63"
ENCRYPTION_KEY_ID_IN_DETAILS = "3.64"
USE_QUOTA = "3.65"
SNAPSHOT_IN_USE = "3.66"
SHARED_TARGETS_TRISTATE = "3.69"
EXTEND_VOLUME_COMPLETION = "3.71"

# Query parameters every list takes besides its filters.
LIST_PARAMS = {
    "limit",
    "marker",
    "offset",
    "sort",
    "sort_key",
    "sort_dir",
    "with_count",
    "all_tenants",
    "all_projects",
    "project_id",
    "is_public",
}
# Cinder's default resource_query_filters.
RESOURCE_FILTERS = {
    "volume": {
        "name",
        "status",
        "metadata",
        "bootable",
        "migration_status",
        "availability_zone",
        "group_id",
        "size",
        "created_at",
        "updated_at",
        "glance_metadata",
        "volume_type",
        "consumes_quota",
        "display_name",
    },
    "snapshot": {"name", "status", "volume_id", "metadata", "availability_zone", "consumes_quota"},
    "backup": {"name", "status", "volume_id"},
    "attachment": {"volume_id", "status", "instance_id", "attach_status"},
    "message": {"resource_uuid", "resource_type", "event_id", "request_id", "message_level"},
}
