"""Identity's policy defaults, one rule per API operation (Keystone's rule names)."""

from __future__ import annotations

from nimbostack.core.auth.policy import RuleDefault, base_rules

ADMIN = "role:admin"
ADMIN_OR_READER = "role:admin or (role:reader and system_scope:all)"
SELF = "user_id:%(target.user.id)s"
ADMIN_OR_SELF = f"{ADMIN_OR_READER} or {SELF}"
CREDENTIAL_OWNER = "user_id:%(target.credential.user_id)s"
TOKEN_SUBJECT = "user_id:%(target.token.user_id)s"
ANYONE = ""
DOMAIN_READER = (
    f"{ADMIN_OR_READER} or domain_id:%(target.domain.id)s or project_domain_id:%(target.domain.id)s"
)
PROJECT_READER = f"{ADMIN_OR_READER} or project_id:%(target.project.id)s"


def rules() -> list[RuleDefault]:
    """Every identity rule; operators override them in <policy_dir>/identity.yaml."""
    return [
        *base_rules(),
        RuleDefault("token_subject", TOKEN_SUBJECT, "The token being acted on is the caller's"),
        # Tokens and the auth/ endpoints.
        RuleDefault(
            "identity:check_token", f"{ADMIN_OR_READER} or rule:service_role or rule:token_subject"
        ),
        RuleDefault(
            "identity:validate_token",
            f"{ADMIN_OR_READER} or rule:service_role or rule:token_subject",
        ),
        RuleDefault("identity:revoke_token", f"{ADMIN} or rule:service_role or rule:token_subject"),
        RuleDefault("identity:get_auth_catalog", ANYONE),
        RuleDefault("identity:get_auth_projects", ANYONE),
        RuleDefault("identity:get_auth_domains", ANYONE),
        RuleDefault("identity:get_auth_system", ANYONE),
        # Domains: a user may read the domain their token or project lives in.
        RuleDefault(
            "identity:get_domain",
            DOMAIN_READER,
            "Show a domain",
        ),
        RuleDefault(
            "identity:list_domains",
            DOMAIN_READER,
            "List domains",
        ),
        RuleDefault("identity:create_domain", ADMIN, "Create a domain"),
        RuleDefault("identity:update_domain", ADMIN, "Update a domain"),
        RuleDefault("identity:delete_domain", ADMIN, "Delete a domain"),
        # Projects.
        RuleDefault(
            "identity:get_project",
            PROJECT_READER,
            "Show a project",
        ),
        RuleDefault(
            "identity:list_projects",
            PROJECT_READER,
            "List projects",
        ),
        RuleDefault("identity:create_project", ADMIN, "Create a project"),
        RuleDefault("identity:update_project", ADMIN, "Update a project"),
        RuleDefault("identity:delete_project", ADMIN, "Delete a project"),
        RuleDefault("identity:list_user_projects", f"{ADMIN_OR_READER} or user_id:%(user_id)s"),
        RuleDefault("identity:list_project_tags", PROJECT_READER),
        RuleDefault("identity:get_project_tag", PROJECT_READER),
        RuleDefault("identity:update_project_tags", ADMIN),
        RuleDefault("identity:create_project_tag", ADMIN),
        RuleDefault("identity:delete_project_tag", ADMIN),
        RuleDefault("identity:delete_project_tags", ADMIN),
        # Users and passwords.
        RuleDefault("identity:get_user", ADMIN_OR_SELF, "Show a user"),
        RuleDefault("identity:list_users", ADMIN_OR_SELF, "List users"),
        RuleDefault("identity:create_user", ADMIN, "Create a user"),
        RuleDefault("identity:update_user", ADMIN, "Update a user"),
        RuleDefault("identity:delete_user", ADMIN, "Delete a user"),
        # Groups.
        RuleDefault("identity:get_group", ADMIN_OR_READER, "Show a group"),
        RuleDefault("identity:list_groups", ADMIN_OR_READER, "List groups"),
        RuleDefault("identity:create_group", ADMIN, "Create a group"),
        RuleDefault("identity:update_group", ADMIN, "Update a group"),
        RuleDefault("identity:delete_group", ADMIN, "Delete a group"),
        RuleDefault("identity:list_groups_for_user", f"{ADMIN_OR_READER} or user_id:%(user_id)s"),
        RuleDefault("identity:list_users_in_group", ADMIN_OR_READER),
        RuleDefault("identity:check_user_in_group", ADMIN_OR_READER),
        RuleDefault("identity:add_user_to_group", ADMIN),
        RuleDefault("identity:remove_user_from_group", ADMIN),
        # Roles, implied roles, grants and assignments.
        RuleDefault("identity:get_role", ADMIN_OR_READER, "Show a role"),
        RuleDefault("identity:list_roles", ADMIN_OR_READER, "List roles"),
        RuleDefault("identity:create_role", ADMIN, "Create a role"),
        RuleDefault("identity:update_role", ADMIN, "Update a role"),
        RuleDefault("identity:delete_role", ADMIN, "Delete a role"),
        RuleDefault("identity:get_domain_role", ADMIN_OR_READER, "Show a domain_role"),
        RuleDefault("identity:list_domain_roles", ADMIN_OR_READER, "List domain_roles"),
        RuleDefault("identity:create_domain_role", ADMIN, "Create a domain_role"),
        RuleDefault("identity:update_domain_role", ADMIN, "Update a domain_role"),
        RuleDefault("identity:delete_domain_role", ADMIN, "Delete a domain_role"),
        RuleDefault("identity:get_implied_role", ADMIN_OR_READER),
        RuleDefault("identity:list_implied_roles", ADMIN_OR_READER),
        RuleDefault("identity:list_role_inference_rules", ADMIN_OR_READER),
        RuleDefault("identity:check_implied_role", ADMIN_OR_READER),
        RuleDefault("identity:create_implied_role", ADMIN),
        RuleDefault("identity:delete_implied_role", ADMIN),
        RuleDefault("identity:check_grant", ADMIN_OR_READER),
        RuleDefault("identity:list_grants", ADMIN_OR_READER),
        RuleDefault("identity:create_grant", ADMIN),
        RuleDefault("identity:revoke_grant", ADMIN),
        RuleDefault("identity:list_system_grants_for_user", ADMIN_OR_READER),
        RuleDefault("identity:check_system_grant_for_user", ADMIN_OR_READER),
        RuleDefault("identity:create_system_grant_for_user", ADMIN),
        RuleDefault("identity:revoke_system_grant_for_user", ADMIN),
        RuleDefault("identity:list_system_grants_for_group", ADMIN_OR_READER),
        RuleDefault("identity:check_system_grant_for_group", ADMIN_OR_READER),
        RuleDefault("identity:create_system_grant_for_group", ADMIN),
        RuleDefault("identity:revoke_system_grant_for_group", ADMIN),
        RuleDefault("identity:list_role_assignments", ADMIN_OR_READER),
        RuleDefault("identity:list_role_assignments_for_tree", ADMIN_OR_READER),
        # Catalog: anyone may read regions; services and endpoints are for admins.
        RuleDefault("identity:get_region", ANYONE, "Show a region"),
        RuleDefault("identity:list_regions", ANYONE, "List regions"),
        RuleDefault("identity:create_region", ADMIN, "Create a region"),
        RuleDefault("identity:update_region", ADMIN, "Update a region"),
        RuleDefault("identity:delete_region", ADMIN, "Delete a region"),
        RuleDefault("identity:get_service", ADMIN_OR_READER, "Show a service"),
        RuleDefault("identity:list_services", ADMIN_OR_READER, "List services"),
        RuleDefault("identity:create_service", ADMIN, "Create a service"),
        RuleDefault("identity:update_service", ADMIN, "Update a service"),
        RuleDefault("identity:delete_service", ADMIN, "Delete a service"),
        RuleDefault("identity:get_endpoint", ADMIN_OR_READER, "Show a endpoint"),
        RuleDefault("identity:list_endpoints", ADMIN_OR_READER, "List endpoints"),
        RuleDefault("identity:create_endpoint", ADMIN, "Create a endpoint"),
        RuleDefault("identity:update_endpoint", ADMIN, "Update a endpoint"),
        RuleDefault("identity:delete_endpoint", ADMIN, "Delete a endpoint"),
        # Application credentials belong to their user.
        RuleDefault("identity:get_application_credential", ADMIN_OR_SELF),
        RuleDefault("identity:list_application_credentials", ADMIN_OR_SELF),
        RuleDefault("identity:create_application_credential", "user_id:%(user_id)s"),
        RuleDefault("identity:delete_application_credential", f"{ADMIN} or {SELF}"),
        *extension_rules(),
    ]


def extension_rules() -> list[RuleDefault]:
    """Credentials (their owner's), legacy policies, endpoint groups, domain config, OAuth1."""
    owner = f"{ADMIN_OR_READER} or {CREDENTIAL_OWNER}"
    return [
        RuleDefault("identity:get_credential", owner),
        RuleDefault("identity:list_credentials", ANYONE, "Filtered per credential"),
        RuleDefault("identity:create_credential", f"{ADMIN} or user_id:%(credential.user_id)s"),
        RuleDefault("identity:update_credential", f"{ADMIN} or {CREDENTIAL_OWNER}"),
        RuleDefault("identity:delete_credential", f"{ADMIN} or {CREDENTIAL_OWNER}"),
        RuleDefault("identity:ec2_get_credential", owner),
        RuleDefault("identity:ec2_list_credentials", owner),
        RuleDefault("identity:ec2_create_credential", f"{ADMIN} or {CREDENTIAL_OWNER}"),
        RuleDefault("identity:ec2_delete_credential", f"{ADMIN} or {CREDENTIAL_OWNER}"),
        RuleDefault("identity:get_policy", ADMIN_OR_READER, "Show a policy"),
        RuleDefault("identity:list_policies", ADMIN_OR_READER, "List policies"),
        RuleDefault("identity:create_policy", ADMIN, "Create a policy"),
        RuleDefault("identity:update_policy", ADMIN, "Update a policy"),
        RuleDefault("identity:delete_policy", ADMIN, "Delete a policy"),
        RuleDefault("identity:get_endpoint_group", ADMIN_OR_READER, "Show a endpoint_group"),
        RuleDefault("identity:list_endpoint_groups", ADMIN_OR_READER, "List endpoint_groups"),
        RuleDefault("identity:create_endpoint_group", ADMIN, "Create a endpoint_group"),
        RuleDefault("identity:update_endpoint_group", ADMIN, "Update a endpoint_group"),
        RuleDefault("identity:delete_endpoint_group", ADMIN, "Delete a endpoint_group"),
        RuleDefault("identity:list_endpoints_associated_with_endpoint_group", ADMIN_OR_READER),
        RuleDefault("identity:list_projects_associated_with_endpoint_group", ADMIN_OR_READER),
        RuleDefault("identity:list_endpoint_groups_for_project", ADMIN_OR_READER),
        RuleDefault("identity:get_endpoint_group_in_project", ADMIN_OR_READER),
        RuleDefault("identity:add_endpoint_group_to_project", ADMIN),
        RuleDefault("identity:remove_endpoint_group_from_project", ADMIN),
        RuleDefault("identity:get_domain_config_default", ADMIN_OR_READER),
        RuleDefault("identity:get_domain_config", ADMIN_OR_READER, "Show a domain_config"),
        RuleDefault("identity:create_domain_config", ADMIN, "Create a domain_config"),
        RuleDefault("identity:update_domain_config", ADMIN, "Update a domain_config"),
        RuleDefault("identity:delete_domain_config", ADMIN, "Delete a domain_config"),
        RuleDefault("identity:get_consumer", ADMIN_OR_READER, "Show a consumer"),
        RuleDefault("identity:list_consumers", ADMIN_OR_READER, "List consumers"),
        RuleDefault("identity:create_consumer", ADMIN, "Create a consumer"),
        RuleDefault("identity:update_consumer", ADMIN, "Update a consumer"),
        RuleDefault("identity:delete_consumer", ADMIN, "Delete a consumer"),
    ]
