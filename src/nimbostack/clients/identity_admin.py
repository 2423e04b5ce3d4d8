"""Identity administration: projects, users, groups, roles and role assignments (Keystone v3)."""

from __future__ import annotations

from typing import Any

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.rest import RestClient

Doc = dict[str, Any]


class IdentityClient(RestClient):
    """CRUD on the identity endpoint of the catalog, with one (admin) token."""

    service = "identity"

    def __init__(self, session: Session, client: httpx.AsyncClient) -> None:
        base = session.endpoint("identity")
        base = base if base.endswith("/v3") else f"{base}/v3"
        super().__init__(base, session.token, client)

    async def _list(self, path: str, key: str, **params: Any) -> list[Doc]:
        return list((await self.call("GET", path, params=params))[key])

    async def _create(self, path: str, key: str, fields: Doc) -> Doc:
        return dict((await self.call("POST", path, json={key: fields}))[key])

    # -- projects, users, groups, roles ------------------------------------------------
    async def projects(self, **params: Any) -> list[Doc]:
        return await self._list("/projects", "projects", **params)

    async def create_project(self, **fields: Any) -> Doc:
        return await self._create("/projects", "project", fields)

    async def update_project(self, project_id: str, **fields: Any) -> Doc:
        body = await self.call("PATCH", f"/projects/{project_id}", json={"project": fields})
        return dict(body["project"])

    async def delete_project(self, project_id: str) -> None:
        await self.call("DELETE", f"/projects/{project_id}")

    async def users(self, **params: Any) -> list[Doc]:
        return await self._list("/users", "users", **params)

    async def create_user(self, **fields: Any) -> Doc:
        return await self._create("/users", "user", fields)

    async def update_user(self, user_id: str, **fields: Any) -> Doc:
        return dict((await self.call("PATCH", f"/users/{user_id}", json={"user": fields}))["user"])

    async def delete_user(self, user_id: str) -> None:
        await self.call("DELETE", f"/users/{user_id}")

    async def groups(self, **params: Any) -> list[Doc]:
        return await self._list("/groups", "groups", **params)

    async def create_group(self, **fields: Any) -> Doc:
        return await self._create("/groups", "group", fields)

    async def delete_group(self, group_id: str) -> None:
        await self.call("DELETE", f"/groups/{group_id}")

    async def group_users(self, group_id: str) -> list[Doc]:
        return await self._list(f"/groups/{group_id}/users", "users")

    async def add_group_user(self, group_id: str, user_id: str) -> None:
        await self.call("PUT", f"/groups/{group_id}/users/{user_id}")

    async def remove_group_user(self, group_id: str, user_id: str) -> None:
        await self.call("DELETE", f"/groups/{group_id}/users/{user_id}")

    async def roles(self, **params: Any) -> list[Doc]:
        return await self._list("/roles", "roles", **params)

    async def create_role(self, **fields: Any) -> Doc:
        return await self._create("/roles", "role", fields)

    async def delete_role(self, role_id: str) -> None:
        await self.call("DELETE", f"/roles/{role_id}")

    async def domains(self) -> list[Doc]:
        return await self._list("/domains", "domains")

    # -- assignments ------------------------------------------------------------------
    async def role_assignments(self, **params: Any) -> list[Doc]:
        """``GET /role_assignments`` (e.g. ``{"scope.project.id": id, "include_names": 1}``)."""
        return await self._list("/role_assignments", "role_assignments", **params)

    @staticmethod
    def _grant_path(project_id: str, actor: str, actor_id: str, role_id: str) -> str:
        return f"/projects/{project_id}/{actor}s/{actor_id}/roles/{role_id}"

    async def grant(self, project_id: str, actor: str, actor_id: str, role_id: str) -> None:
        """Give ``actor`` ("user" or "group") ``role_id`` on the project."""
        await self.call("PUT", self._grant_path(project_id, actor, actor_id, role_id))

    async def revoke(self, project_id: str, actor: str, actor_id: str, role_id: str) -> None:
        await self.call("DELETE", self._grant_path(project_id, actor, actor_id, role_id))
