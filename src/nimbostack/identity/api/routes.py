"""Identity's whole route table: discovery, auth/tokens, then the resources."""

from __future__ import annotations

from nimbostack.core.api.app import Route
from nimbostack.identity.api import auth, versions
from nimbostack.identity.api.extension_routes import EXTENSION_ROUTES
from nimbostack.identity.api.resource_routes import RESOURCE_ROUTES

ROUTES: list[Route] = [
    Route("GET", "/", versions.list_versions, public=True),
    Route("GET", "/v3", versions.show_v3, public=True),
    Route("GET", "/v3/", versions.show_v3, public=True),
    Route("POST", "/v3/auth/tokens", auth.issue_token, public=True),
    Route("GET", "/v3/auth/tokens", auth.validate_token),
    Route("HEAD", "/v3/auth/tokens", auth.check_token),
    Route("DELETE", "/v3/auth/tokens", auth.revoke_token),
    Route("GET", "/v3/auth/catalog", auth.get_catalog),
    Route("GET", "/v3/auth/projects", auth.get_projects),
    Route("GET", "/v3/auth/domains", auth.get_domains),
    Route("GET", "/v3/auth/system", auth.get_system),
    *EXTENSION_ROUTES,
    *RESOURCE_ROUTES,
]
