"""Networks: the project's list (paged), create with a first subnet, a network's
subnets and ports, add or delete a subnet, delete."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from typing import Any

from starlette.responses import Response

from nimbostack.clients.rest import RestError
from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.views.netcommon import (
    external_networks,
    field_id,
    ident,
    marker,
    mine,
    server_names,
)
from nimbostack.dashboard.web import Page

LIST = "/project/networks"


async def list_networks(page: Page) -> Response:
    net = page.apis.network
    size = page.state.settings.page_size
    listing, external = await asyncio.gather(
        net.page("networks", limit=size, marker=marker(page), **mine(page)),
        external_networks(page),
    )
    return page.render(
        "networks/list.html", networks=listing.items, next_marker=listing.next_marker,
        external=external,
    )  # fmt: skip


def subnet_fields(form: dict[str, str], network_id: str) -> dict[str, Any] | str:
    """The subnet's body from the form, or what is wrong with it."""
    cidr = form.get("cidr", "").strip()
    try:
        parsed = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return _("Give the subnet a range such as 10.1.0.0/24.")
    fields: dict[str, Any] = {
        "network_id": network_id,
        "cidr": str(parsed),
        "ip_version": parsed.version,
        "name": form.get("subnet_name", "").strip(),
        "enable_dhcp": form.get("enable_dhcp") == "on",
    }
    gateway = form.get("gateway", "").strip()
    if form.get("no_gateway") == "on":
        fields["gateway_ip"] = None
    elif gateway:
        fields["gateway_ip"] = gateway
    return fields


async def create_network(page: Page) -> Response:
    """Create a network and, when a range is given, its first subnet (or neither)."""
    form = page.form.as_dict()
    name = form.get("name", "").strip()
    if not name:
        return page.redirect(LIST, _("Give the network a name."), "error")
    subnet: dict[str, Any] | None = None
    if form.get("cidr", "").strip():
        fields = subnet_fields(form, "")
        if isinstance(fields, str):
            return page.redirect(LIST, fields, "error")
        subnet = fields
    net = page.apis.network
    network = await net.create("network", "networks", name=name)
    if subnet is not None:
        try:
            await net.create("subnet", "subnets", **{**subnet, "network_id": network["id"]})
        except RestError as exc:
            with contextlib.suppress(RestError):
                await net.delete("networks", str(network["id"]))
            if exc.status == 401:
                raise
            return page.redirect(LIST, exc.message, "error")
    return page.redirect(f"{LIST}/{network['id']}", _("The network was created."))


async def show_network(page: Page) -> Response:
    network_id = ident(page, "network_id")
    net = page.apis.network
    size = page.state.settings.page_size
    network, subnets, ports, names = await asyncio.gather(
        net.show("network", "networks", network_id),
        net.every("subnets", network_id=network_id),
        net.page("ports", limit=size, marker=marker(page), network_id=network_id),
        server_names(page),
    )
    return page.render(
        "networks/detail.html",
        network=network,
        subnets=subnets,
        ports=ports.items,
        next_marker=ports.next_marker,
        names=names,
        own=network.get("project_id") == page.user.token.project_id,
    )


async def create_subnet(page: Page) -> Response:
    network_id = ident(page, "network_id")
    fields = subnet_fields(page.form.as_dict(), network_id)
    back = f"{LIST}/{network_id}"
    if isinstance(fields, str):
        return page.redirect(back, fields, "error")
    await page.apis.network.create("subnet", "subnets", **fields)
    return page.redirect(back, _("The subnet was created."))


async def delete_subnet(page: Page) -> Response:
    subnet_id = ident(page, "subnet_id")
    network_id = field_id(page, "network_id")
    await page.apis.network.delete("subnets", subnet_id)
    back = f"{LIST}/{network_id}" if network_id else LIST
    return page.redirect(back, _("The subnet was deleted."))


async def delete_network(page: Page) -> Response:
    await page.apis.network.delete("networks", ident(page, "network_id"))
    return page.redirect(LIST, _("The network was deleted."))
