"""``/v2.0/ports``: ports with their addresses, security, DHCP options and binding."""

from __future__ import annotations

import functools
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty
from nimbostack.network.api import access, dhcp_hooks, listing, port_binding
from nimbostack.network.api.attributes import (
    ID,
    OWNER,
    REQUIRED,
    STANDARD_READ_ONLY,
    UNSET,
    Attr,
    Body,
    read_only,
    standard,
)
from nimbostack.network.api.context import if_match, scope
from nimbostack.network.api.tags import TAGS_ATTR
from nimbostack.network.api.validators import (
    boolean,
    choice,
    dict_of,
    dns_name,
    integer,
    ip_address,
    json_object,
    list_of,
    mac_address,
    nullable,
    prefix,
    string,
    uuid_str,
)
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import (
    l2pop,
    networks,
    port_updates,
    port_view,
    port_writes,
    ports,
    sg_info,
)
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

# A change of these changes the addresses of the port's groups' members.
MEMBERSHIP = ("security_groups", "fixed_ips", "allowed_address_pairs")
VNIC_TYPES = (
    "normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
    "smart-nic", "vdpa", "accelerator-direct", "accelerator-direct-physical", "remote-managed",
)  # fmt: skip
EXTENSIONS = (
    Extension(
        "binding",
        "Port Binding",
        "Expose port bindings of a virtual port to external application",
        "2014-02-03T10:00:00-00:00",
    ),
    Extension(
        "allowed-address-pairs",
        "Allowed Address Pairs",
        "Provides allowed address pairs",
        "2013-07-23T10:00:00-00:00",
    ),
    Extension(
        "extra_dhcp_opt",
        "Neutron Extra DHCP options",
        "Extra options configuration for DHCP. For example PXE boot options to DHCP "
        "clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)",
        "2013-03-17T12:00:00-00:00",
    ),
    Extension(
        "port-security",
        "Port Security",
        "Provides port security",
        "2012-07-23T10:00:00-00:00",
    ),
    Extension(
        "dns-integration",
        "DNS Integration",
        "Provides integration with DNS.",
        "2015-08-15T18:00:00-00:00",
    ),
    Extension(
        "ip-substring-filtering",
        "IP address substring filtering",
        "Provides IP address substring filtering when listing ports",
        "2017-11-28T09:00:00-00:00",
    ),
    Extension(
        "port-security-groups-filtering",
        "Port filtering on security groups",
        "Provides security groups filtering when listing ports",
        "2018-01-09T09:00:00-00:00",
    ),
)


def _fixed_ip(value: Any) -> dict[str, str]:
    entry = dict_of((), ("subnet_id", "ip_address"))(value)
    found = {}
    if entry.get("subnet_id") is not None:
        found["subnet_id"] = uuid_str(entry["subnet_id"])
    if entry.get("ip_address") is not None:
        found["ip_address"] = ip_address(entry["ip_address"])
    return found


def _pair(value: Any) -> dict[str, str]:
    entry = dict_of(("ip_address",), ("mac_address",))(value)
    pair = {"ip_address": prefix(entry["ip_address"])}
    if entry.get("mac_address") is not None:
        pair["mac_address"] = mac_address(entry["mac_address"])
    if pair["ip_address"].endswith(("/32", "/128")):
        pair["ip_address"] = pair["ip_address"].split("/")[0]
    return pair


def _opt(value: Any) -> dict[str, Any]:
    entry = dict_of(("opt_name",), ("opt_value", "ip_version"))(value)
    return {
        "opt_name": string(64)(entry["opt_name"]),
        "opt_value": nullable(string(255))(entry.get("opt_value")),
        "ip_version": int(choice(4, 6)(integer()(entry.get("ip_version", 4)))),
    }


def _groups(value: Any) -> list[str]:
    return [] if value is None else list(list_of(uuid_str)(value))


PORT = Body(
    "port",
    "ports",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("status", "dns_assignment"),
        # Binding attributes only admins and services see (the VNIC type is everyone's).
        *read_only("binding:vif_type", "binding:vif_details", shown_by_policy=True),
        *standard(),
        *OWNER,
        Attr("network_id", uuid_str, REQUIRED),
        Attr("admin_state_up", boolean, True, put=True),
        Attr("mac_address", mac_address, UNSET, put=True, policy=True),
        Attr(
            "fixed_ips",
            list_of(_fixed_ip),
            UNSET,
            put=True,
            policy=True,
            policy_keys=("ip_address", "subnet_id"),
        ),
        Attr("device_id", string(255), "", put=True, policy=True),
        Attr("device_owner", string(255), "", put=True, policy=True),
        Attr("security_groups", _groups, UNSET, put=True),
        Attr("port_security_enabled", boolean, UNSET, put=True, policy=True),
        Attr("allowed_address_pairs", list_of(_pair), [], put=True, policy=True),
        Attr("extra_dhcp_opts", list_of(_opt), [], put=True),
        Attr("dns_name", dns_name, "", put=True),
        Attr("binding:host_id", string(255), UNSET, put=True, policy=True, shown_by_policy=True),
        Attr("binding:vnic_type", choice(*VNIC_TYPES), "normal", put=True, policy=True),
        Attr("binding:profile", json_object, UNSET, put=True, policy=True, shown_by_policy=True),
        TAGS_ATTR,
    ),
)


def target(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_id": view["project_id"],
        "network:project_id": view["network:project_id"],
        "network_device": view["network_device"],
    }


def _row_target(row: Any) -> dict[str, Any]:
    return {"project_id": row.project_id, **ports.policy_facts(row)}


def _visible(shown: access.Shown, row: Any) -> bool:
    """Whether the get_port rule lets the caller see a listed port (remembered per owner)."""
    key = (row.project_id, row.network_project_id, row.device_owner[:8] == "network:")
    return shown.visible_as(key, functools.partial(_row_target, row))


def _shown(req: ApiRequest) -> access.Shown:
    return access.Shown(req, "get_port", PORT)


def _keys(req: ApiRequest, shown: access.Shown) -> set[str]:
    """The attributes to render: those asked for (``fields``) the caller may see."""
    own = {"project_id": req.context.project_id, "network:project_id": req.context.project_id}
    wanted = set(listing.fields_of(req)) or set(port_view.KEYS)
    return wanted - shown.hidden({**own, "network_device": False})


async def list_ports(req: ApiRequest) -> Response:
    state = state_of(req)
    caller = scope(req)
    lreq = listing.parse(req, ports.TABLE)
    shown = _shown(req)
    async with state.db.reader() as s:
        rows = await ports.search(s, caller, lreq, state.dns_domain, _keys(req, shown))
    rows = [row for row in rows if _visible(shown, row)]
    links = listing.links(req, [{"id": row.id} for row in rows], lreq)
    return listing.raw_list("ports", [row.view for row in rows], links)


async def show_port(req: ApiRequest) -> Response:
    state = state_of(req)
    shown = _shown(req)
    async with state.db.reader() as s:
        row = await ports.rendered(
            s, scope(req), req.param("port_id"), state.dns_domain, _keys(req, shown)
        )
    shown.one({}, _row_target(row))
    return listing.raw_one("port", row.view)


def _check_create(req: ApiRequest, item: dict[str, Any], net: dict[str, Any]) -> None:
    policy_target = {
        **item,
        "network:project_id": net["project_id"],
        "shared": net["shared"],
        "network_device": str(item.get("device_owner", "")).startswith("network:"),
    }
    access.enforce(req, "create_port", policy_target)
    access.check_attributes(req, "create", PORT, item, policy_target)


async def create_port(req: ApiRequest) -> Response:
    state = state_of(req)
    items, bulk = await PORT.create(req)
    caller = scope(req)
    shown = _shown(req)
    keys = _keys(req, shown)
    # One transaction for the checks and the writes: a create is one round of locks.
    async with state.db.session() as s:
        views = []
        placed = []
        made: list[str] = []
        for item in items:
            _check_create(req, item, await networks.facts(s, caller, item["network_id"]))
            port_id = await port_writes.create(s, state.conf, caller, item)
            made.append(port_id)
            placed.append(await port_binding.after_create(s, state, port_id, item))
            row = await ports.rendered(s, Scope.admin(), port_id, state.dns_domain, keys)
            views.append(row.view)
    for where in placed:
        await port_binding.notify(req, state, where)
    for item, port_id in zip(items, made, strict=True):
        await dhcp_hooks.port_changed(req, state, item["network_id"], port_id)
    refilter: set[str] = set()
    async with state.db.reader() as s:
        for port_id in made:
            refilter |= await sg_info.refiltered_by_port(s, port_id)
    await _members_changed(req, refilter)
    if bulk:
        return listing.raw_list("ports", views, [], 201)
    return listing.raw_one("port", views[0], 201)


async def update_port(req: ApiRequest) -> Response:
    state = state_of(req)
    port_id = req.param("port_id")
    changes = await PORT.update(req)
    caller = scope(req)
    async with state.db.reader() as s:
        current = await ports.find(s, caller, port_id, state.dns_domain)
    policy_target = {**target(current), **changes}
    if "device_owner" in changes:
        policy_target["network_device"] = str(changes["device_owner"]).startswith("network:")
    access.enforce_change(req, "update_port", "get_port", target(current))
    access.check_attributes(req, "update", PORT, changes, policy_target, updating=True)
    async with state.db.session() as s:
        moved = any(key in changes for key in MEMBERSHIP)
        refilter = await sg_info.refiltered_by_port(s, port_id) if moved else set()
        left = await port_binding.leaving(s, port_id, changes)
        await port_updates.update(s, state.conf, caller, port_id, changes, expected=if_match(req))
        before = str(current.get("binding:host_id") or "")
        placed = await port_binding.after_update(s, state, port_id, before, changes, left=left)
        if moved:
            refilter |= await sg_info.refiltered_by_port(s, port_id)
    await port_binding.notify(req, state, placed)
    await dhcp_hooks.port_changed(req, state, current["network_id"], port_id)
    await _members_changed(req, refilter)
    return await show_port(req)


async def delete_port(req: ApiRequest) -> Response:
    state = state_of(req)
    port_id = req.param("port_id")
    caller = scope(req)
    async with state.db.reader() as s:
        current = await ports.find(s, caller, port_id, state.dns_domain)
    access.enforce_change(req, "delete_port", "get_port", target(current))
    async with state.db.session() as s:
        refilter = await sg_info.refiltered_by_port(s, port_id)
        left = await l2pop.entry(s, port_id)
        await port_writes.delete_port(s, caller, port_id, if_match(req))
    if state.agents is not None and current.get("binding:host_id"):
        await state.agents.port_delete(req.context, port_id)
        if left is not None:
            await state.agents.fdb_remove(req.context, l2pop.removal(left))
    await dhcp_hooks.port_removed(req, state, current["network_id"], port_id)
    await _members_changed(req, refilter)
    return empty(204)


async def _members_changed(req: ApiRequest, group_ids: set[str]) -> None:
    """Tell the firewalls that these groups' members (their addresses) changed."""
    agents = state_of(req).agents
    if agents is not None and group_ids:
        await agents.security_groups_changed(req.context, sorted(group_ids))
