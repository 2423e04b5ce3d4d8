"""Admin pages of compute and placement: hypervisors, services, aggregates and zones,
flavors, quotas per project, and placement usage per host.

These pages call admin APIs with the user's own token; a user without the admin role
does not see them in the navigation, and the APIs refuse them anyway (403).
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.web import Page

QUOTA_FIELDS = (
    "instances",
    "cores",
    "ram",
    "key_pairs",
    "server_groups",
    "server_group_members",
    "metadata_items",
)


async def hypervisors(page: Page) -> Response:
    found = await page.apis.compute.hypervisors()
    return page.render("admin/hypervisors.html", hypervisors=found)


async def services(page: Page) -> Response:
    return page.render("admin/services.html", services=await page.apis.compute.services())


async def update_service(page: Page) -> Response:
    enable = page.form.get("status") == "enabled"
    fields: dict[str, str] = {"status": "enabled" if enable else "disabled"}
    if not enable and page.form.get("reason"):
        fields["disabled_reason"] = page.form.get("reason")
    await page.apis.compute.update_service(page.param("service_id"), **fields)
    return page.redirect("/admin/services", _("The service was updated."))


async def aggregates(page: Page) -> Response:
    found, zones, hosts = await asyncio.gather(
        page.apis.compute.aggregates(),
        page.apis.compute.call("GET", "/os-availability-zone/detail"),
        page.apis.compute.services(),
    )
    return page.render(
        "admin/aggregates.html",
        aggregates=found,
        zones=zones["availabilityZoneInfo"],
        hosts=sorted({s["host"] for s in hosts if s["binary"] == "nova-compute"}),
    )


async def create_aggregate(page: Page) -> Response:
    name = page.form.get("name").strip()
    await page.apis.compute.create_aggregate(name, page.form.get("zone").strip() or None)
    return page.redirect("/admin/aggregates", _("The aggregate was created."))


async def aggregate_host(page: Page) -> Response:
    verb = "add_host" if page.form.get("op") == "add" else "remove_host"
    await page.apis.compute.aggregate_action(
        page.param("aggregate_id"), verb, {"host": page.form.get("host")}
    )
    return page.redirect("/admin/aggregates", _("The aggregate was updated."))


async def delete_aggregate(page: Page) -> Response:
    await page.apis.compute.delete_aggregate(page.param("aggregate_id"))
    return page.redirect("/admin/aggregates", _("The aggregate was deleted."))


async def flavors(page: Page) -> Response:
    found = await page.apis.compute.list_flavors(is_public="none")
    return page.render("admin/flavors.html", flavors=found)


async def create_flavor(page: Page) -> Response:
    form = page.form
    await page.apis.compute.create_flavor(
        name=form.get("name").strip(),
        vcpus=form.int("vcpus", 1),
        ram=form.int("ram", 512),
        disk=form.int("disk", 1),
        **{"os-flavor-access:is_public": form.get("public", "on") == "on"},
    )
    return page.redirect("/admin/flavors", _("The flavor was created."))


async def delete_flavor(page: Page) -> Response:
    await page.apis.compute.delete_flavor(page.param("flavor_id"))
    return page.redirect("/admin/flavors", _("The flavor was deleted."))


async def quotas(page: Page) -> Response:
    projects = await page.apis.identity.projects()
    chosen = page.query("project") or (projects[0]["id"] if projects else "")
    quota = await page.apis.compute.quota_set(chosen) if chosen else {}
    return page.render(
        "admin/quotas.html", projects=projects, chosen=chosen, quota=quota, fields=QUOTA_FIELDS
    )


async def update_quotas(page: Page) -> Response:
    project = page.param("project_id")
    values = {f: page.form.int(f) for f in QUOTA_FIELDS if page.form.get(f).lstrip("-").isdigit()}
    await page.apis.compute.update_quota_set(project, **values)
    return page.redirect(f"/admin/quotas?project={project}", _("The quotas were updated."))


async def placement(page: Page) -> Response:
    usages = await page.apis.placement.usages()
    return page.render("admin/placement.html", providers=sorted(usages, key=lambda u: u.name))
