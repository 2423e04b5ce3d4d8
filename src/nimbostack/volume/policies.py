"""Block storage policy defaults under Cinder's rule names, each written out in full.

Project resources default to members (writes) and readers (reads) of the owning
project; operator APIs (types, QoS, services, quotas updates, status resets) are
admin-only. A resource of another project is hidden before policy runs (404), so
these rules only decide what a viewer of the resource may do.
"""

from __future__ import annotations

from nimbostack.core.auth.policy import RuleDefault, base_rules

ADMIN = "role:admin"
MEMBER = "role:admin or (role:member and project_id:%(project_id)s)"
READER = "role:admin or (role:reader and project_id:%(project_id)s)"
ADMIN_OR_SERVICE = "role:admin or role:service"
ANY = "@"

_MEMBER = [
    "volume:create",
    "volume:create_from_image",
    "volume:update",
    "volume:delete",
    "volume:extend",
    "volume:extend_attached_volume",
    "volume:retype",
    "volume:update_readonly_flag",
    "volume:multiattach",
    "volume:create_volume_metadata",
    "volume:update_volume_metadata",
    "volume:delete_volume_metadata",
    "volume_extension:volume_actions:attach",
    "volume_extension:volume_actions:detach",
    "volume_extension:volume_actions:reserve",
    "volume_extension:volume_actions:unreserve",
    "volume_extension:volume_actions:begin_detaching",
    "volume_extension:volume_actions:roll_detaching",
    "volume_extension:volume_actions:initialize_connection",
    "volume_extension:volume_actions:terminate_connection",
    "volume_extension:volume_actions:upload_image",
    "volume_extension:volume_image_metadata:set",
    "volume_extension:volume_image_metadata:remove",
    "volume:attachment_create",
    "volume:attachment_update",
    "volume:attachment_delete",
    "volume:attachment_complete",
    "volume:multiattach_bootable_volume",
    "volume:create_snapshot",
    "volume:update_snapshot",
    "volume:delete_snapshot",
    "volume:update_snapshot_metadata",
    "volume:delete_snapshot_metadata",
    "backup:create",
    "backup:update",
    "backup:delete",
    "backup:restore",
    "volume:create_transfer",
    "volume:accept_transfer",
    "volume:delete_transfer",
    "message:delete",
]
_READER = [
    "volume:get",
    "volume:get_all",
    "volume:get_volume_metadata",
    "volume_extension:volume_tenant_attribute",
    "volume_extension:volume_encryption_metadata",
    "volume_extension:volume_image_metadata:show",
    "volume:get_snapshot",
    "volume:get_all_snapshots",
    "volume:get_snapshot_metadata",
    "volume_extension:extended_snapshot_attributes",
    "backup:get",
    "backup:get_all",
    "volume:get_transfer",
    "volume:get_all_transfers",
    "message:get",
    "message:get_all",
    "volume_extension:quotas:show",
    "limits_extension:used_limits",
    "volume_extension:type_get",
    "volume_extension:type_get_all",
    "volume_extension:access_types_extra_specs",
    "volume_extension:types_extra_specs:index",
    "volume_extension:types_extra_specs:show",
]
_ADMIN = [
    "volume:force_delete",
    "volume_extension:volume_host_attribute",
    "volume_extension:volume_mig_status_attribute",
    "volume_extension:volume_actions:upload_public",
    "volume_extension:volume_admin_actions:reset_status",
    "volume_extension:volume_admin_actions:force_delete",
    "volume_extension:volume_admin_actions:force_detach",
    "volume_extension:volume_admin_actions:migrate_volume",
    "volume_extension:snapshot_admin_actions:reset_status",
    "volume_extension:snapshot_admin_actions:force_delete",
    "volume_extension:backup_admin_actions:reset_status",
    "volume_extension:backup_admin_actions:force_delete",
    "backup:backup_project_attribute",
    "volume_extension:type_create",
    "volume_extension:type_update",
    "volume_extension:type_delete",
    "volume_extension:access_types_qos_specs_id",
    "volume_extension:types_extra_specs:create",
    "volume_extension:types_extra_specs:update",
    "volume_extension:types_extra_specs:delete",
    "volume_extension:types_extra_specs:read_sensitive",
    "volume_extension:volume_type_access:addProjectAccess",
    "volume_extension:volume_type_access:removeProjectAccess",
    "volume_extension:volume_type_access:get_all_for_type",
    "volume_extension:qos_specs_manage:create",
    "volume_extension:qos_specs_manage:get",
    "volume_extension:qos_specs_manage:get_all",
    "volume_extension:qos_specs_manage:update",
    "volume_extension:qos_specs_manage:delete",
    "volume_extension:quotas:update",
    "volume_extension:quotas:delete",
    "volume_extension:quota_classes:get",
    "volume_extension:quota_classes:update",
    "volume_extension:services:index",
    "volume_extension:services:update",
    "scheduler_extension:scheduler_stats:get_pools",
]
# Called by compute when it finished growing an attached volume (os-extend, 3.71).
_ADMIN_OR_SERVICE = ["volume_extension:volume_admin_actions:extend_volume_completion"]


def rules() -> list[RuleDefault]:
    """Every block storage rule; operators override them in <policy_dir>/volume.yaml."""
    return [
        *base_rules(),
        *(RuleDefault(name, MEMBER, name) for name in _MEMBER),
        *(RuleDefault(name, READER, name) for name in _READER),
        *(RuleDefault(name, ADMIN, name) for name in _ADMIN),
        *(RuleDefault(name, ADMIN_OR_SERVICE, name) for name in _ADMIN_OR_SERVICE),
    ]
