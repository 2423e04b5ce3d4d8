"""Compute policy defaults under Nova's rule names, declared next to what they guard.

Project resources default to members (writes) and readers (reads) of the owning
project; host and deployment APIs are admin-only. A server of another project is
hidden before policy runs (404), so these rules only decide what a viewer may do.
"""

from __future__ import annotations

from nimbostack.core.auth.policy import RuleDefault, base_rules

ADMIN = "role:admin"
MEMBER = "role:admin or (role:member and project_id:%(project_id)s)"
READER = "role:admin or (role:reader and project_id:%(project_id)s)"
OWNER = "role:admin or user_id:%(user_id)s"
ANY = "@"

_MEMBER_RULES = [
    "os_compute_api:servers:create",
    "os_compute_api:servers:create:attach_network",
    "os_compute_api:servers:create:trusted_certs",
    "os_compute_api:servers:update",
    "os_compute_api:servers:delete",
    "os_compute_api:servers:confirm_resize",
    "os_compute_api:servers:revert_resize",
    "os_compute_api:servers:reboot",
    "os_compute_api:servers:resize",
    "os_compute_api:servers:rebuild",
    "os_compute_api:servers:rebuild:trusted_certs",
    "os_compute_api:servers:create_image",
    "os_compute_api:servers:start",
    "os_compute_api:servers:stop",
    "os_compute_api:os-pause-server:pause",
    "os_compute_api:os-pause-server:unpause",
    "os_compute_api:os-suspend-server:suspend",
    "os_compute_api:os-suspend-server:resume",
    "os_compute_api:os-shelve:shelve",
    "os_compute_api:os-shelve:unshelve",
    "os_compute_api:os-lock-server:lock",
    "os_compute_api:os-lock-server:unlock",
    "os_compute_api:os-rescue",
    "os_compute_api:os-unrescue",
    "os_compute_api:os-console-output",
    "os_compute_api:os-create-backup",
    "os_compute_api:os-deferred-delete:restore",
    "os_compute_api:os-deferred-delete:force",
    "os_compute_api:os-remote-consoles",
    "os_compute_api:os-server-password:clear",
    "os_compute_api:os-admin-password",
    "os_compute_api:server-metadata:create",
    "os_compute_api:server-metadata:update",
    "os_compute_api:server-metadata:update_all",
    "os_compute_api:server-metadata:delete",
    "os_compute_api:os-server-tags:update",
    "os_compute_api:os-server-tags:update_all",
    "os_compute_api:os-server-tags:delete",
    "os_compute_api:os-server-tags:delete_all",
    "os_compute_api:os-volumes-attachments:create",
    "os_compute_api:os-volumes-attachments:update",
    "os_compute_api:os-volumes-attachments:delete",
    "os_compute_api:os-attach-interfaces:create",
    "os_compute_api:os-attach-interfaces:delete",
    "os_compute_api:os-security-groups:add",
    "os_compute_api:os-security-groups:remove",
    "os_compute_api:os-server-groups:create",
    "os_compute_api:os-server-groups:delete",
]
_READER_RULES = [
    "os_compute_api:servers:index",
    "os_compute_api:servers:detail",
    "os_compute_api:servers:show",
    "os_compute_api:os-instance-actions:list",
    "os_compute_api:os-instance-actions:show",
    "os_compute_api:os-instance-actions:events:details",
    "os_compute_api:os-server-password:show",
    "os_compute_api:server-metadata:index",
    "os_compute_api:server-metadata:show",
    "os_compute_api:os-server-tags:index",
    "os_compute_api:os-server-tags:show",
    "os_compute_api:os-volumes-attachments:index",
    "os_compute_api:os-volumes-attachments:show",
    "os_compute_api:os-attach-interfaces:list",
    "os_compute_api:os-attach-interfaces:show",
    "os_compute_api:os-security-groups:list",
    "os_compute_api:os-server-groups:index",
    "os_compute_api:os-server-groups:show",
    "os_compute_api:os-quota-sets:show",
    "os_compute_api:os-quota-sets:detail",
    "os_compute_api:os-simple-tenant-usage:show",
    "os_compute_api:os-availability-zone:list",
    "os_compute_api:os-networks:list",
    "os_compute_api:os-networks:show",
    "os_compute_api:limits",
    "os_compute_api:os-flavor-access",
    "os_compute_api:os-flavor-extra-specs:index",
    "os_compute_api:os-flavor-extra-specs:show",
]
_ADMIN_RULES = [
    "os_compute_api:servers:index:get_all_tenants",
    "os_compute_api:servers:detail:get_all_tenants",
    "os_compute_api:servers:show:host_status",
    "os_compute_api:servers:create:forced_host",
    "os_compute_api:servers:create:requested_destination",
    "os_compute_api:servers:allow_all_filters",
    "os_compute_api:os-extended-server-attributes",
    "os_compute_api:os-volumes-attachments:swap",
    "os_compute_api:os-shelve:shelve_offload",
    "os_compute_api:os-shelve:unshelve_to_host",
    "os_compute_api:os-lock-server:unlock:unlock_override",
    "os_compute_api:os-migrate-server:migrate",
    "os_compute_api:os-migrate-server:migrate_live",
    "os_compute_api:os-evacuate",
    "os_compute_api:os-admin-actions:reset_state",
    "os_compute_api:os-server-diagnostics",
    "os_compute_api:os-instance-actions:events",
    "os_compute_api:os-flavor-manage:create",
    "os_compute_api:os-flavor-manage:update",
    "os_compute_api:os-flavor-manage:delete",
    "os_compute_api:os-flavor-access:add_tenant_access",
    "os_compute_api:os-flavor-access:remove_tenant_access",
    "os_compute_api:os-flavor-extra-specs:create",
    "os_compute_api:os-flavor-extra-specs:update",
    "os_compute_api:os-flavor-extra-specs:delete",
    "os_compute_api:os-quota-sets:update",
    "os_compute_api:os-quota-sets:delete",
    "os_compute_api:os-simple-tenant-usage:list",
    "os_compute_api:os-availability-zone:detail",
    "os_compute_api:os-hypervisors:list",
    "os_compute_api:os-hypervisors:list-detail",
    "os_compute_api:os-hypervisors:show",
    "os_compute_api:os-hypervisors:statistics",
    "os_compute_api:os-hypervisors:uptime",
    "os_compute_api:os-hypervisors:search",
    "os_compute_api:os-hypervisors:servers",
    "os_compute_api:os-instance-usage-audit-log:list",
    "os_compute_api:os-instance-usage-audit-log:show",
    "os_compute_api:os-quota-class-sets:show",
    "os_compute_api:os-quota-class-sets:update",
    "os_compute_api:os-hosts:list",
    "os_compute_api:os-hosts:show",
    "os_compute_api:os-hosts:update",
    "os_compute_api:os-hosts:start",
    "os_compute_api:os-hosts:shutdown",
    "os_compute_api:os-hosts:reboot",
    "os_compute_api:os-services:list",
    "os_compute_api:os-services:update",
    "os_compute_api:os-services:delete",
    "os_compute_api:os-migrations:index",
    "os_compute_api:os-aggregates:index",
    "os_compute_api:os-aggregates:create",
    "os_compute_api:os-aggregates:show",
    "os_compute_api:os-aggregates:update",
    "os_compute_api:os-aggregates:delete",
    "os_compute_api:os-aggregates:add_host",
    "os_compute_api:os-aggregates:remove_host",
    "os_compute_api:os-aggregates:set_metadata",
    "os_compute_api:os-server-groups:index:all_projects",
    "os_compute_api:limits:other_project",
]


def rules() -> list[RuleDefault]:
    """Every compute rule; operators override them in <policy_dir>/compute.yaml."""
    found = [*base_rules()]
    found += [RuleDefault(name, MEMBER) for name in _MEMBER_RULES]
    found += [RuleDefault(name, READER) for name in _READER_RULES]
    found += [RuleDefault(name, ADMIN) for name in _ADMIN_RULES]
    found += [
        RuleDefault("os_compute_api:os-keypairs:index", OWNER, "List keypairs"),
        RuleDefault("os_compute_api:os-keypairs:create", OWNER, "Create a keypair"),
        RuleDefault("os_compute_api:os-keypairs:show", OWNER, "Show a keypair"),
        RuleDefault("os_compute_api:os-keypairs:delete", OWNER, "Delete a keypair"),
        RuleDefault("os_compute_api:os-quota-sets:defaults", ANY, "Show default quotas"),
        # A Nimbostack extension: the spans of a server's requests, for its owner.
        RuleDefault("os_compute_api:os-trace:show", READER, "Show the recorded hops of a server"),
        RuleDefault(
            "os_compute_api:os-server-external-events:create",
            "role:admin or role:service",
            "Send events",
        ),
    ]
    return found
