"""Identity administration: projects, users, groups, roles and role assignments."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.web import Page


async def projects(page: Page) -> Response:
    found, assignments, roles, users, groups = await asyncio.gather(
        page.apis.identity.projects(),
        page.apis.identity.role_assignments(include_names="1"),
        page.apis.identity.roles(),
        page.apis.identity.users(),
        page.apis.identity.groups(),
    )
    by_project: dict[str, list[dict[str, object]]] = {}
    for item in assignments:
        project = (item.get("scope") or {}).get("project")
        if project:
            by_project.setdefault(project["id"], []).append(item)
    return page.render(
        "identity/projects.html",
        projects=found,
        assignments=by_project,
        roles=roles,
        users=users,
        groups=groups,
    )


async def create_project(page: Page) -> Response:
    await page.apis.identity.create_project(
        name=page.form.get("name").strip(),
        description=page.form.get("description"),
        domain_id=page.form.get("domain_id") or page.user.token.domain_id,
    )
    return page.redirect("/identity/projects", _("The project was created."))


async def delete_project(page: Page) -> Response:
    await page.apis.identity.delete_project(page.param("project_id"))
    return page.redirect("/identity/projects", _("The project was deleted."))


async def grant_role(page: Page) -> Response:
    form = page.form
    actor = "group" if form.get("actor") == "group" else "user"
    await page.apis.identity.grant(
        page.param("project_id"), actor, form.get("actor_id"), form.get("role_id")
    )
    return page.redirect("/identity/projects", _("The role was assigned."))


async def revoke_role(page: Page) -> Response:
    form = page.form
    actor = "group" if form.get("actor") == "group" else "user"
    await page.apis.identity.revoke(
        page.param("project_id"), actor, form.get("actor_id"), form.get("role_id")
    )
    return page.redirect("/identity/projects", _("The role was removed."))


async def users(page: Page) -> Response:
    found, projects_found = await asyncio.gather(
        page.apis.identity.users(), page.apis.identity.projects()
    )
    return page.render("identity/users.html", users=found, projects=projects_found)


async def create_user(page: Page) -> Response:
    form = page.form
    fields: dict[str, object] = {
        "name": form.get("name").strip(),
        "password": form.get("password"),
        "domain_id": page.user.token.domain_id,
        "enabled": True,
    }
    if form.get("email"):
        fields["email"] = form.get("email")
    if form.get("default_project_id"):
        fields["default_project_id"] = form.get("default_project_id")
    await page.apis.identity.create_user(**fields)
    return page.redirect("/identity/users", _("The user was created."))


async def set_user_enabled(page: Page) -> Response:
    enabled = page.form.get("enabled") == "true"
    await page.apis.identity.update_user(page.param("user_id"), enabled=enabled)
    return page.redirect("/identity/users", _("The user was updated."))


async def delete_user(page: Page) -> Response:
    await page.apis.identity.delete_user(page.param("user_id"))
    return page.redirect("/identity/users", _("The user was deleted."))


async def groups(page: Page) -> Response:
    found, all_users = await asyncio.gather(page.apis.identity.groups(), page.apis.identity.users())
    members = await asyncio.gather(*(page.apis.identity.group_users(g["id"]) for g in found))
    return page.render(
        "identity/groups.html", groups=list(zip(found, members, strict=True)), users=all_users
    )


async def create_group(page: Page) -> Response:
    await page.apis.identity.create_group(
        name=page.form.get("name").strip(), domain_id=page.user.token.domain_id
    )
    return page.redirect("/identity/groups", _("The group was created."))


async def group_member(page: Page) -> Response:
    group, user = page.param("group_id"), page.form.get("user_id")
    if page.form.get("op") == "remove":
        await page.apis.identity.remove_group_user(group, user)
    else:
        await page.apis.identity.add_group_user(group, user)
    return page.redirect("/identity/groups", _("The group was updated."))


async def delete_group(page: Page) -> Response:
    await page.apis.identity.delete_group(page.param("group_id"))
    return page.redirect("/identity/groups", _("The group was deleted."))


async def roles(page: Page) -> Response:
    return page.render("identity/roles.html", roles=await page.apis.identity.roles())


async def create_role(page: Page) -> Response:
    await page.apis.identity.create_role(name=page.form.get("name").strip())
    return page.redirect("/identity/roles", _("The role was created."))


async def delete_role(page: Page) -> Response:
    await page.apis.identity.delete_role(page.param("role_id"))
    return page.redirect("/identity/roles", _("The role was deleted."))
