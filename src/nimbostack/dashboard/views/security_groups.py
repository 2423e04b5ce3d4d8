"""Security groups: the project's list (paged), create, delete, and a group's rules
(add: direction, protocol, port range, remote CIDR or group; delete)."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from starlette.responses import Response

from nimbostack.clients.rest import RestError
from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.views.netcommon import field_id, ident, marker, mine
from nimbostack.dashboard.web import Form, Page

LIST = "/project/security-groups"
PROTOCOLS = ("any", "tcp", "udp", "icmp")
DIRECTIONS = ("ingress", "egress")


async def list_groups(page: Page) -> Response:
    size = page.state.settings.page_size
    listing = await page.apis.network.page(
        "security-groups", key="security_groups", limit=size, marker=marker(page), **mine(page)
    )
    return page.render(
        "networks/security_groups.html", groups=listing.items, next_marker=listing.next_marker
    )


async def create_group(page: Page) -> Response:
    name = page.form.get("name").strip()
    if not name:
        return page.redirect(LIST, _("Give the security group a name."), "error")
    fields = {"name": name, "description": page.form.get("description").strip()}
    group = await page.apis.network.create("security_group", "security-groups", **fields)
    return page.redirect(f"{LIST}/{group['id']}", _("The security group was created."))


async def show_group(page: Page) -> Response:
    group_id = ident(page, "group_id")
    net = page.apis.network
    group, groups = await asyncio.gather(
        net.show("security_group", "security-groups", group_id),
        net.every("security-groups", key="security_groups", **mine(page)),
    )
    names = {str(g["id"]): str(g.get("name") or g["id"]) for g in groups}
    rules = sorted(
        group.get("security_group_rules") or [],
        key=lambda r: (str(r.get("direction")), str(r.get("ethertype")), str(r.get("protocol"))),
    )
    return page.render(
        "networks/security_group.html", group=group, rules=rules, groups=groups, names=names,
        protocols=PROTOCOLS, directions=DIRECTIONS,
    )  # fmt: skip


def _port(form: Form, name: str) -> int | None:
    text = form.get(name).strip()
    if not text:
        return None
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise RestError(400, _("Ports are numbers from 0 to 65535."))
    return int(text)


def rule_fields(form: Form, group_id: str) -> dict[str, Any]:
    """The rule's body from the form; a RestError 400 says what is wrong with it."""
    direction = form.get("direction") or "ingress"
    protocol = form.get("protocol") or "any"
    if direction not in DIRECTIONS or protocol not in PROTOCOLS:
        raise RestError(400, _("Unknown direction or protocol."))
    low, high = _port(form, "port_min"), _port(form, "port_max")
    if high is None:
        high = low
    if (low is None) != (high is None) or (low is not None and high is not None and low > high):
        raise RestError(400, _("Give a port range whose first port is not above its last."))
    fields: dict[str, Any] = {"security_group_id": group_id, "direction": direction}
    if protocol != "any":
        fields["protocol"] = protocol
        if low is not None:
            fields["port_range_min"], fields["port_range_max"] = low, high
    elif low is not None:
        raise RestError(400, _("A port range needs a protocol."))
    cidr = form.get("remote_ip_prefix").strip()
    remote_group = form.get("remote_group_id").strip()
    if cidr and remote_group:
        raise RestError(400, _("Give a remote CIDR or a remote group, not both."))
    ethertype = "IPv4"
    if cidr:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise RestError(400, _("Invalid remote CIDR.")) from None
        fields["remote_ip_prefix"] = str(network)
        ethertype = f"IPv{network.version}"
    elif remote_group:
        fields["remote_group_id"] = remote_group
    fields["ethertype"] = form.get("ethertype") if not cidr and form.get("ethertype") in (
        "IPv4", "IPv6") else ethertype  # fmt: skip
    return fields


async def add_rule(page: Page) -> Response:
    group_id = ident(page, "group_id")
    field_id(page, "remote_group_id")
    fields = rule_fields(page.form, group_id)
    await page.apis.network.create("security_group_rule", "security-group-rules", **fields)
    return page.redirect(f"{LIST}/{group_id}", _("The rule was added."))


async def delete_rule(page: Page) -> Response:
    group_id = ident(page, "group_id")
    await page.apis.network.delete("security-group-rules", ident(page, "rule_id"))
    return page.redirect(f"{LIST}/{group_id}", _("The rule was deleted."))


async def delete_group(page: Page) -> Response:
    await page.apis.network.delete("security-groups", ident(page, "group_id"))
    return page.redirect(LIST, _("The security group was deleted."))
