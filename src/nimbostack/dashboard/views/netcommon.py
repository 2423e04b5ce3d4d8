"""What the network panels share: ids from the path, the project's filter, the external
networks (pools and gateways), and names of the servers ports belong to."""

from __future__ import annotations

import re
from typing import Any

from nimbostack.clients.rest import RestError
from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.web import Page

Doc = dict[str, Any]
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
SERVERS_SHOWN = 1000
PUBLIC = "public"


def ident(page: Page, name: str) -> str:
    """An id from the path; anything but an id is the API's 404, before any call."""
    value = page.param(name)
    if not _ID.match(value):
        raise RestError(404, _("%s could not be found.") % value)
    return value


def field_id(page: Page, name: str) -> str:
    """An id from the form ("" when absent); anything but an id is a refused form."""
    value = page.form.get(name).strip()
    if value and not _ID.match(value):
        raise RestError(400, _("Invalid value for %s.") % name)
    return value


def mine(page: Page) -> dict[str, Any]:
    """The filter keeping a listing to the session's project (admins see all otherwise)."""
    return {"project_id": page.user.token.project_id}


def marker(page: Page, name: str = "marker") -> str:
    value = page.query(name)
    return value if _ID.match(value) else ""


async def external_networks(page: Page) -> list[Doc]:
    """The networks routers take gateways from and floating IPs come from, public first."""
    external: dict[str, Any] = {"router:external": True}
    found = await page.apis.network.every("networks", **external)
    return sorted(found, key=lambda n: (n.get("name") != PUBLIC, str(n.get("name") or "")))


async def project_subnets(page: Page) -> list[Doc]:
    return await page.apis.network.every("subnets", **mine(page))


async def server_names(page: Page) -> dict[str, str]:
    """The project's server names by id (one page of at most SERVERS_SHOWN)."""
    servers, _more = await page.apis.compute.list_servers_page(limit=SERVERS_SHOWN)
    return {str(s["id"]): str(s.get("name") or s["id"]) for s in servers}


def fixed_ips(port: Doc) -> str:
    return ", ".join(str(ip.get("ip_address")) for ip in port.get("fixed_ips") or [])
