"""Routers: the project's list (paged), create with a gateway on an external network
(``public`` by default), interfaces on subnets (add, remove), delete."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.views.netcommon import (
    external_networks,
    field_id,
    fixed_ips,
    ident,
    marker,
    mine,
    project_subnets,
)
from nimbostack.dashboard.web import Page

LIST = "/project/routers"
INTERFACE = "network:router_interface"


async def list_routers(page: Page) -> Response:
    size = page.state.settings.page_size
    listing, external = await asyncio.gather(
        page.apis.network.page("routers", limit=size, marker=marker(page), **mine(page)),
        external_networks(page),
    )
    names = {str(n["id"]): str(n.get("name") or n["id"]) for n in external}
    return page.render(
        "networks/routers.html", routers=listing.items, next_marker=listing.next_marker,
        external=external, names=names,
    )  # fmt: skip


async def create_router(page: Page) -> Response:
    name = page.form.get("name").strip()
    if not name:
        return page.redirect(LIST, _("Give the router a name."), "error")
    gateway = field_id(page, "gateway")
    fields: dict[str, object] = {"name": name}
    if gateway:
        fields["external_gateway_info"] = {"network_id": gateway}
    router = await page.apis.network.create("router", "routers", **fields)
    return page.redirect(f"{LIST}/{router['id']}", _("The router was created."))


async def show_router(page: Page) -> Response:
    router_id = ident(page, "router_id")
    net = page.apis.network
    router, ports, subnets, external = await asyncio.gather(
        net.show("router", "routers", router_id),
        net.every("ports", device_id=router_id, device_owner=INTERFACE),
        project_subnets(page),
        external_networks(page),
    )
    by_id = {str(s["id"]): s for s in subnets}
    interfaces = [
        {"port": port, "subnet": by_id.get(str(ip.get("subnet_id")), {"id": ip.get("subnet_id")}),
         "ip": ip.get("ip_address")}
        for port in ports for ip in port.get("fixed_ips") or []
    ]  # fmt: skip
    used = {str(i["subnet"].get("id")) for i in interfaces}
    gateway = (router.get("external_gateway_info") or {}).get("network_id")
    return page.render(
        "networks/router.html",
        router=router,
        interfaces=interfaces,
        free_subnets=[s for s in subnets if str(s["id"]) not in used],
        gateway=next((n for n in external if n["id"] == gateway), None),
        fixed_ips=fixed_ips,
    )


async def add_interface(page: Page) -> Response:
    router_id = ident(page, "router_id")
    subnet_id = field_id(page, "subnet_id")
    back = f"{LIST}/{router_id}"
    if not subnet_id:
        return page.redirect(back, _("Choose a subnet."), "error")
    await page.apis.network.add_interface(router_id, subnet_id)
    return page.redirect(back, _("The interface was added."))


async def remove_interface(page: Page) -> Response:
    router_id = ident(page, "router_id")
    await page.apis.network.remove_interface(router_id, ident(page, "subnet_id"))
    return page.redirect(f"{LIST}/{router_id}", _("The interface was removed."))


async def delete_router(page: Page) -> Response:
    await page.apis.network.delete("routers", ident(page, "router_id"))
    return page.redirect(LIST, _("The router was deleted."))
