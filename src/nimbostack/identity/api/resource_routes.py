"""Routes of identity's resources (domains, projects, users, groups, roles, catalog...)."""

from __future__ import annotations

from nimbostack.core.api.app import Route

RESOURCE_ROUTES: list[Route] = []
