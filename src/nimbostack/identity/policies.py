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


def _crud(
    kind: str, plural: str, read: str = ADMIN_OR_READER, write: str = ADMIN
) -> list[RuleDefault]:
    return [
        RuleDefault(f"identity:get_{kind}", read, f"Show a {kind}"),
        RuleDefault(f"identity:list_{plural}", read, f"List {plural}"),
        RuleDefault(f"identity:create_{kind}", write, f"Create a {kind}"),
        RuleDefault(f"identity:update_{kind}", write, f"Update a {kind}"),
        RuleDefault(f"identity:delete_{kind}", write, f"Delete a {kind}"),
    ]


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
        *_crud(
            "domain",
            "domains",
            read=f"{ADMIN_OR_READER} or "
            "domain_id:%(target.domain.id)s or project_domain_id:%(target.domain.id)s",
        ),
        # Projects.
        *_crud(
            "project", "projects", read=f"{ADMIN_OR_READER} or project_id:%(target.project.id)s"
        ),
        RuleDefault("identity:list_user_projects", f"{ADMIN_OR_READER} or user_id:%(user_id)s"),
        RuleDefault(
            "identity:list_project_tags", f"{ADMIN_OR_READER} or project_id:%(target.project.id)s"
        ),
        RuleDefault(
            "identity:get_project_tag", f"{ADMIN_OR_READER} or project_id:%(target.project.id)s"
        ),
        RuleDefault("identity:update_project_tags", ADMIN),
        RuleDefault("identity:create_project_tag", ADMIN),
        RuleDefault("identity:delete_project_tag", ADMIN),
        RuleDefault("identity:delete_project_tags", ADMIN),
        # Users and passwords.
        *_crud("user", "users", read=ADMIN_OR_SELF),
        RuleDefault("identity:change_password", f"{ADMIN} or user_id:%(user_id)s"),
        # Groups.
        *_crud("group", "groups"),
        RuleDefault("identity:list_groups_for_user", f"{ADMIN_OR_READER} or user_id:%(user_id)s"),
        RuleDefault("identity:list_users_in_group", ADMIN_OR_READER),
        RuleDefault("identity:check_user_in_group", ADMIN_OR_READER),
        RuleDefault("identity:add_user_to_group", ADMIN),
        RuleDefault("identity:remove_user_from_group", ADMIN),
        # Roles, implied roles, grants and assignments.
        *_crud("role", "roles"),
        *_crud("domain_role", "domain_roles"),
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
        *_crud("region", "regions", read=ANYONE),
        *_crud("service", "services"),
        *_crud("endpoint", "endpoints"),
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
        *_crud("policy", "policies"),
        *_crud("endpoint_group", "endpoint_groups"),
        RuleDefault("identity:list_endpoints_associated_with_endpoint_group", ADMIN_OR_READER),
        RuleDefault("identity:list_projects_associated_with_endpoint_group", ADMIN_OR_READER),
        RuleDefault("identity:list_endpoint_groups_for_project", ADMIN_OR_READER),
        RuleDefault("identity:get_endpoint_group_in_project", ADMIN_OR_READER),
        RuleDefault("identity:add_endpoint_group_to_project", ADMIN),
        RuleDefault("identity:remove_endpoint_group_from_project", ADMIN),
        RuleDefault("identity:get_domain_config_default", ADMIN_OR_READER),
        *_crud("domain_config", "domain_configs"),
        *_crud("consumer", "consumers"),
    ]
