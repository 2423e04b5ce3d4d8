"""Routes of identity's resources (domains, projects, users, groups, roles, catalog...)."""

from __future__ import annotations

from nimbostack.core.api.app import Handler, Route
from nimbostack.identity.api import (
    app_credentials,
    assignments,
    domains,
    endpoints,
    grants,
    groups,
    implied_roles,
    project_tags,
    projects,
    regions,
    roles,
    services,
    users,
)


def _crud(
    path: str, item: str, handlers: tuple[Handler, Handler, Handler, Handler, Handler]
) -> list[Route]:
    """GET/POST on the collection, GET/PATCH/DELETE on one member."""
    list_, create, show, update, delete = handlers
    one = f"{path}/{{{item}}}"
    return [
        Route("GET", path, list_),
        Route("POST", path, create),
        Route("GET", one, show),
        Route("PATCH", one, update),
        Route("DELETE", one, delete),
    ]


_D, _P, _U, _G, _R = domains, projects, users, groups, roles
_S, _E, _Re, _AC = services, endpoints, regions, app_credentials
_TAG = "/v3/projects/{project_id}/tags"
_GU = "/v3/groups/{group_id}/users/{user_id}"
_IMPLY = "/v3/roles/{prior_role_id}/implies/{implied_role_id}"
_ACS = "/v3/users/{user_id}/application_credentials"

RESOURCE_ROUTES: list[Route] = [
    *_crud(
        "/v3/domains",
        "domain_id",
        (_D.list_domains, _D.create_domain, _D.show_domain, _D.update_domain, _D.delete_domain),
    ),
    *_crud(
        "/v3/projects",
        "project_id",
        (
            _P.list_projects,
            _P.create_project,
            _P.show_project,
            _P.update_project,
            _P.delete_project,
        ),
    ),
    Route("GET", _TAG, project_tags.list_project_tags),
    Route("PUT", _TAG, project_tags.replace_project_tags),
    Route("DELETE", _TAG, project_tags.delete_project_tags),
    Route("GET", f"{_TAG}/{{tag}}", project_tags.check_project_tag),
    Route("HEAD", f"{_TAG}/{{tag}}", project_tags.check_project_tag),
    Route("PUT", f"{_TAG}/{{tag}}", project_tags.add_project_tag),
    Route("DELETE", f"{_TAG}/{{tag}}", project_tags.delete_project_tag),
    *_crud(
        "/v3/users",
        "user_id",
        (_U.list_users, _U.create_user, _U.show_user, _U.update_user, _U.delete_user),
    ),
    Route("POST", "/v3/users/{user_id}/password", users.change_password, public=True),
    Route("GET", "/v3/users/{user_id}/projects", projects.list_user_projects),
    Route("GET", "/v3/users/{user_id}/groups", groups.list_groups_for_user),
    *_crud(
        "/v3/groups",
        "group_id",
        (_G.list_groups, _G.create_group, _G.show_group, _G.update_group, _G.delete_group),
    ),
    Route("GET", "/v3/groups/{group_id}/users", groups.list_users_in_group),
    Route("PUT", _GU, groups.add_user_to_group),
    Route("HEAD", _GU, groups.check_user_in_group),
    Route("GET", _GU, groups.check_user_in_group),
    Route("DELETE", _GU, groups.remove_user_from_group),
    *_crud(
        "/v3/roles",
        "role_id",
        (_R.list_roles, _R.create_role, _R.show_role, _R.update_role, _R.delete_role),
    ),
    Route("GET", "/v3/roles/{prior_role_id}/implies", implied_roles.list_implied_roles),
    Route("PUT", _IMPLY, implied_roles.create_implied_role),
    # HEAD before GET: a GET route also answers HEAD, and Keystone's HEAD has no body (204).
    Route("HEAD", _IMPLY, implied_roles.check_implied_role),
    Route("GET", _IMPLY, implied_roles.get_implied_role),
    Route("DELETE", _IMPLY, implied_roles.delete_implied_role),
    Route("GET", "/v3/role_inferences", implied_roles.list_role_inferences),
    *grants.grant_routes(),
    Route("GET", "/v3/role_assignments", assignments.list_role_assignments),
    *_crud(
        "/v3/regions",
        "region_id",
        (
            _Re.list_regions,
            _Re.create_region,
            _Re.show_region,
            _Re.update_region,
            _Re.delete_region,
        ),
    ),
    Route("PUT", "/v3/regions/{region_id}", regions.create_region_with_id),
    *_crud(
        "/v3/services",
        "service_id",
        (
            _S.list_services,
            _S.create_service,
            _S.show_service,
            _S.update_service,
            _S.delete_service,
        ),
    ),
    *_crud(
        "/v3/endpoints",
        "endpoint_id",
        (
            _E.list_endpoints,
            _E.create_endpoint,
            _E.show_endpoint,
            _E.update_endpoint,
            _E.delete_endpoint,
        ),
    ),
    Route("GET", _ACS, _AC.list_application_credentials),
    Route("POST", _ACS, _AC.create_application_credential),
    Route("GET", f"{_ACS}/{{application_credential_id}}", _AC.show_application_credential),
    Route("DELETE", f"{_ACS}/{{application_credential_id}}", _AC.delete_application_credential),
]
