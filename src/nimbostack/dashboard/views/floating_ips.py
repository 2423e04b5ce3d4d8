"""Floating IPs: the project's list (paged), allocate from an external network
(``public`` by default), associate to an instance's port, disassociate, release."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.views.netcommon import (
    external_networks,
    field_id,
    fixed_ips,
    ident,
    marker,
    mine,
    server_names,
)
from nimbostack.dashboard.web import Page

LIST = "/project/floating-ips"


async def instance_ports(page: Page) -> list[dict[str, Any]]:
    """The project's instance ports with the server's name, for the association menus."""
    ports, names = await asyncio.gather(
        page.apis.network.every("ports", **mine(page)), server_names(page)
    )
    return [
        {"id": p["id"], "label": f"{names.get(str(p['device_id']), p['device_id'])}: "
                                 f"{fixed_ips(p)}"}
        for p in ports if str(p.get("device_owner") or "").startswith("compute:")
    ]  # fmt: skip


async def list_floating_ips(page: Page) -> Response:
    size = page.state.settings.page_size
    listing, external, ports = await asyncio.gather(
        page.apis.network.page("floatingips", limit=size, marker=marker(page), **mine(page)),
        external_networks(page),
        instance_ports(page),
    )
    return page.render(
        "networks/floating_ips.html",
        floating_ips=listing.items,
        next_marker=listing.next_marker,
        external=external,
        pools={str(n["id"]): str(n.get("name") or n["id"]) for n in external},
        ports=ports,
        port_labels={p["id"]: p["label"] for p in ports},
    )


async def allocate(page: Page) -> Response:
    pool = field_id(page, "pool")
    if not pool:
        return page.redirect(LIST, _("Choose a pool."), "error")
    fip = await page.apis.network.create("floatingip", "floatingips", floating_network_id=pool)
    return page.redirect(LIST, _("Floating IP %s was allocated.") % fip["floating_ip_address"])


async def associate(page: Page) -> Response:
    fip_id = ident(page, "fip_id")
    port_id = field_id(page, "port_id")
    if not port_id:
        return page.redirect(LIST, _("Choose an instance's port."), "error")
    await page.apis.network.update("floatingip", "floatingips", fip_id, port_id=port_id)
    return page.redirect(LIST, _("The floating IP was associated."))


async def disassociate(page: Page) -> Response:
    fip_id = ident(page, "fip_id")
    await page.apis.network.update("floatingip", "floatingips", fip_id, port_id=None)
    return page.redirect(LIST, _("The floating IP was disassociated."))


async def release(page: Page) -> Response:
    await page.apis.network.delete("floatingips", ident(page, "fip_id"))
    return page.redirect(LIST, _("The floating IP was released."))
