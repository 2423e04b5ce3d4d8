"""The launch wizard: source, flavor (what fits the quota), networks, key pair,
user-data, count and server group, then ``POST /servers``."""

from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.panels import VOLUME_TYPES
from nimbostack.dashboard.web import Page

MAX_USER_DATA = 65535
DEFAULT_NETWORK = "private"
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class FlavorChoice:
    flavor: dict[str, Any]
    fits: bool
    why: str


def fitting(
    flavors: list[dict[str, Any]], limits: dict[str, Any], count: int = 1
) -> list[FlavorChoice]:
    """Each flavor, and whether ``count`` servers of it fit what the quota has left."""
    left_cores = int(limits.get("maxTotalCores", -1)) - int(limits.get("totalCoresUsed", 0))
    left_ram = int(limits.get("maxTotalRAMSize", -1)) - int(limits.get("totalRAMUsed", 0))
    left_instances = int(limits.get("maxTotalInstances", -1)) - int(
        limits.get("totalInstancesUsed", 0)
    )
    unlimited = {
        "cores": limits.get("maxTotalCores") == -1,
        "ram": limits.get("maxTotalRAMSize") == -1,
        "instances": limits.get("maxTotalInstances") == -1,
    }
    choices = []
    for flavor in sorted(flavors, key=lambda f: (int(f["vcpus"]), int(f["ram"]))):
        why = ""
        if not unlimited["instances"] and left_instances < count:
            why = _("no instances left in the quota")
        elif not unlimited["cores"] and int(flavor["vcpus"]) * count > left_cores:
            why = _("not enough vCPUs left in the quota")
        elif not unlimited["ram"] and int(flavor["ram"]) * count > left_ram:
            why = _("not enough RAM left in the quota")
        choices.append(FlavorChoice(flavor, not why, why))
    return choices


async def _nothing() -> list[dict[str, Any]]:
    return []


async def bootable_networks(page: Page) -> list[dict[str, Any]]:
    """The networks an instance of the project may get a port on: its own and shared ones."""
    project = page.user.token.project_id
    found = await page.apis.network.every("networks")
    usable = [n for n in found if n.get("project_id") == project or n.get("shared")]
    return sorted(usable, key=lambda n: (n.get("name") != DEFAULT_NETWORK, str(n.get("name"))))


async def launch_form(
    page: Page, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    compute = page.apis.compute
    has_network = page.apis.has("network")
    networks_task = asyncio.ensure_future(bootable_networks(page) if has_network else _nothing())
    images_page, flavors, limits, keypairs, groups, zones = await asyncio.gather(
        page.apis.images.images(limit=200, status="active"),
        compute.list_flavors(),
        compute.limits(),
        compute.list_keypairs(),
        compute.list_server_groups(),
        compute.availability_zones(),
    )
    networks = await networks_task
    chosen = set((values or {}).get("networks", "").split(",")) - {""}
    if not values:
        chosen = {str(n["id"]) for n in networks if n.get("name") == DEFAULT_NETWORK}
    return page.render(
        "instances/launch.html",
        code=status,
        images=sorted(images_page[0], key=lambda i: str(i.get("name") or "")),
        flavors=fitting(flavors, limits),
        limits=limits,
        keypairs=keypairs,
        groups=groups,
        zones=[z["zoneName"] for z in zones if z.get("zoneState", {}).get("available")],
        has_volumes=any(page.apis.has(t) for t in VOLUME_TYPES),
        has_network=has_network,
        networks=networks,
        chosen=chosen,
        values=values or {},
    )


def server_body(
    form: dict[str, str], has_network: bool, networks: list[str] | None = None
) -> dict[str, Any]:
    count = max(1, min(int(form.get("count") or 1), 100))
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "imageRef": form.get("image", ""),
        "flavorRef": form.get("flavor", ""),
        "min_count": count,
        "max_count": count,
        "networks": "auto" if has_network else "none",
    }
    if has_network and networks:
        body["networks"] = [{"uuid": network} for network in networks]
    if form.get("key_name"):
        body["key_name"] = form["key_name"]
    if form.get("zone"):
        body["availability_zone"] = form["zone"]
    if form.get("user_data"):
        body["user_data"] = base64.b64encode(form["user_data"].encode()).decode()
    if form.get("description"):
        body["description"] = form["description"]
    return body


async def launch(page: Page) -> Response:
    form = page.form.as_dict()
    problem = ""
    if not form.get("name", "").strip():
        problem = _("Give the instance a name.")
    elif not form.get("image") or not form.get("flavor"):
        problem = _("Choose an image and a flavor.")
    elif len(form.get("user_data", "").encode()) > MAX_USER_DATA:
        problem = _("The user data is too long (64 KiB at most).")
    networks = [n for n in page.form.getlist("networks") if n]
    if not problem and any(not _ID.match(n) for n in networks):
        problem = _("Unknown network.")
    if problem:
        page.user.flash("error", problem)
        return await launch_form(page, {**form, "networks": ",".join(networks)}, 400)
    body = server_body(form, page.apis.has("network"), networks)
    hints = {"group": form["group"]} if form.get("group") else None
    compute = page.apis.compute
    if hints:
        created = await compute.call(
            "POST", "/servers", json={"server": body, "os:scheduler_hints": hints}
        )
        server = created["server"]
    else:
        server = await compute.create_server(**body)
    if body["max_count"] > 1:
        return page.redirect(
            "/project/instances", _("%d instances are being launched.") % body["max_count"]
        )
    return page.redirect(f"/project/instances/{server['id']}", _("The instance is being launched."))
