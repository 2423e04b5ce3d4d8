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
P = "os_compute_api:"

_MEMBER_RULES = [
    "servers:create",
    "servers:create:attach_network",
    "servers:create:trusted_certs",
    "servers:update",
    "servers:delete",
    "servers:confirm_resize",
    "servers:revert_resize",
    "servers:reboot",
    "servers:resize",
    "servers:rebuild",
    "servers:rebuild:trusted_certs",
    "servers:create_image",
    "servers:start",
    "servers:stop",
    "os-pause-server:pause",
    "os-pause-server:unpause",
    "os-suspend-server:suspend",
    "os-suspend-server:resume",
    "os-shelve:shelve",
    "os-shelve:unshelve",
    "os-lock-server:lock",
    "os-lock-server:unlock",
    "os-rescue",
    "os-unrescue",
    "os-console-output",
    "os-create-backup",
    "os-deferred-delete:restore",
    "os-remote-consoles",
    "os-server-password:clear",
    "os-admin-password",
    "server-metadata:create",
    "server-metadata:update",
    "server-metadata:update_all",
    "server-metadata:delete",
    "os-server-tags:update",
    "os-server-tags:update_all",
    "os-server-tags:delete",
    "os-server-tags:delete_all",
    "os-server-groups:create",
    "os-server-groups:delete",
]
_READER_RULES = [
    "servers:index",
    "servers:detail",
    "servers:show",
    "os-instance-actions:list",
    "os-instance-actions:show",
    "os-server-password:show",
    "server-metadata:index",
    "server-metadata:show",
    "os-server-tags:index",
    "os-server-tags:show",
    "os-server-groups:index",
    "os-server-groups:show",
    "os-quota-sets:show",
    "os-quota-sets:detail",
    "os-simple-tenant-usage:show",
    "os-availability-zone:list",
    "os-networks:list",
    "os-networks:show",
    "limits",
    "os-flavor-access",
    "os-flavor-extra-specs:index",
    "os-flavor-extra-specs:show",
]
_ADMIN_RULES = [
    "servers:index:get_all_tenants",
    "servers:detail:get_all_tenants",
    "servers:show:host_status",
    "servers:create:forced_host",
    "servers:create:requested_destination",
    "servers:allow_all_filters",
    "os-extended-server-attributes",
    "os-shelve:shelve_offload",
    "os-shelve:unshelve_to_host",
    "os-lock-server:unlock:unlock_override",
    "os-migrate-server:migrate",
    "os-migrate-server:migrate_live",
    "os-evacuate",
    "os-admin-actions:reset_state",
    "os-server-diagnostics",
    "os-instance-actions:events",
    "os-instance-actions:events:details",
    "os-flavor-manage:create",
    "os-flavor-manage:update",
    "os-flavor-manage:delete",
    "os-flavor-access:add_tenant_access",
    "os-flavor-access:remove_tenant_access",
    "os-flavor-extra-specs:create",
    "os-flavor-extra-specs:update",
    "os-flavor-extra-specs:delete",
    "os-quota-sets:update",
    "os-quota-sets:delete",
    "os-simple-tenant-usage:list",
    "os-availability-zone:detail",
    "os-hypervisors:list",
    "os-hypervisors:list-detail",
    "os-hypervisors:show",
    "os-hypervisors:statistics",
    "os-hypervisors:uptime",
    "os-hypervisors:search",
    "os-hypervisors:servers",
    "os-instance-usage-audit-log:list",
    "os-instance-usage-audit-log:show",
    "os-quota-class-sets:show",
    "os-quota-class-sets:update",
    "os-hosts:list",
    "os-hosts:show",
    "os-hosts:update",
    "os-hosts:start",
    "os-hosts:shutdown",
    "os-hosts:reboot",
    "os-services:list",
    "os-services:update",
    "os-services:delete",
    "os-migrations:index",
    "os-aggregates:index",
    "os-aggregates:create",
    "os-aggregates:show",
    "os-aggregates:update",
    "os-aggregates:delete",
    "os-aggregates:add_host",
    "os-aggregates:remove_host",
    "os-aggregates:set_metadata",
    "os-server-groups:index:all_projects",
    "limits:other_project",
]


def rules() -> list[RuleDefault]:
    """Every compute rule; operators override them in <policy_dir>/compute.yaml."""
    found = [*base_rules()]
    found += [RuleDefault(P + name, MEMBER, name) for name in _MEMBER_RULES]
    found += [RuleDefault(P + name, READER, name) for name in _READER_RULES]
    found += [RuleDefault(P + name, ADMIN, name) for name in _ADMIN_RULES]
    found += [
        RuleDefault(P + "os-keypairs:index", OWNER, "List keypairs"),
        RuleDefault(P + "os-keypairs:create", OWNER, "Create a keypair"),
        RuleDefault(P + "os-keypairs:show", OWNER, "Show a keypair"),
        RuleDefault(P + "os-keypairs:delete", OWNER, "Delete a keypair"),
        RuleDefault(P + "os-quota-sets:defaults", ANY, "Show default quotas"),
        # A Nimbostack extension: the spans of a server's requests, for its owner.
        RuleDefault(P + "os-trace:show", READER, "Show the recorded hops of a server"),
        RuleDefault(
            P + "os-server-external-events:create", "role:admin or role:service", "Send events"
        ),
    ]
    return found
