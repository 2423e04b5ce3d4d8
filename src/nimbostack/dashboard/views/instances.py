"""Instances: the list (live status, filters, paging) and the actions on a server."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.views import server_actions
from nimbostack.dashboard.views.servers_view import image_names, row
from nimbostack.dashboard.web import Page, error_page

STATUSES = (
    "ACTIVE",
    "BUILD",
    "SHUTOFF",
    "PAUSED",
    "SUSPENDED",
    "SHELVED",
    "SHELVED_OFFLOADED",
    "RESCUE",
    "VERIFY_RESIZE",
    "ERROR",
)


def _filters(page: Page, all_projects: bool) -> dict[str, str]:
    filters = {"limit": str(page.state.settings.page_size), "sort_key": "created_at"}
    name = page.query("name").strip()
    status = page.query("status")
    marker = page.query("marker")
    if name:
        filters["name"] = name
    if status in STATUSES:
        filters["status"] = status
    if marker:
        filters["marker"] = marker
    if all_projects:
        filters["all_tenants"] = "1"
        if page.query("project"):
            filters["project_id"] = page.query("project")
    return filters


async def _list(page: Page, all_projects: bool, template: str) -> Response:
    filters = _filters(page, all_projects)
    (servers, more), names = await asyncio.gather(
        page.apis.compute.list_servers_page(**filters), image_names(page)
    )
    rows = [row(s, names) for s in servers]
    return page.render(
        template,
        rows=rows,
        statuses=STATUSES,
        name=page.query("name"),
        status=page.query("status"),
        marker=page.query("marker"),
        next_marker=rows[-1].id if more and rows else "",
        all_projects=all_projects,
    )


async def list_instances(page: Page) -> Response:
    return await _list(page, False, "instances/list.html")


async def list_all_instances(page: Page) -> Response:
    return await _list(page, True, "admin/instances.html")


async def server_action(page: Page) -> Response:
    server_id = page.param("server_id")
    action = server_actions.BY_KEY.get(page.param("action"))
    if action is None or (action.admin and not page.user.is_admin):
        return error_page(page, 404, _("Not found"), _("There is no such action."))
    form = page.form.as_dict()
    if action.needs in ("flavor", "image", "name") and not form.get(action.needs):
        return page.redirect(
            page.back(f"/project/instances/{server_id}"), _("This action needs a value."), "error"
        )
    await page.apis.compute.action(server_id, action.api, action.body(form))
    return page.redirect(
        page.back(f"/project/instances/{server_id}"),
        _("%(action)s requested.") % {"action": _(action.label)},
    )


async def delete_instance(page: Page) -> Response:
    server_id = page.param("server_id")
    await page.apis.compute.delete_server(server_id)
    return page.redirect("/project/instances", _("Deletion requested."))
