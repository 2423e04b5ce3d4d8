"""What the pages show of a server: a flat, display-ready row built from the API's body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimbostack.dashboard.web import Page

NAMES_TTL = 30.0
_POWER = {0: "NOSTATE", 1: "RUNNING", 3: "PAUSED", 4: "SHUTDOWN", 6: "CRASHED", 7: "SUSPENDED"}


@dataclass(frozen=True)
class ServerRow:
    id: str
    name: str
    status: str
    task_state: str
    power_state: str
    image: str
    flavor: str
    addresses: str
    zone: str
    created: str
    locked: bool
    project_id: str

    @property
    def busy(self) -> bool:
        return bool(self.task_state) or self.status in ("BUILD", "REBUILD", "RESIZE", "MIGRATING")

    @property
    def signature(self) -> tuple[str, ...]:
        """What a live row shows; a change of it re-renders the row."""
        return (
            self.name,
            self.status,
            self.task_state,
            self.power_state,
            self.addresses,
            str(self.locked),
        )


def _addresses(server: dict[str, Any]) -> str:
    found = []
    for network, entries in (server.get("addresses") or {}).items():
        ips = ", ".join(str(e.get("addr")) for e in entries)
        found.append(f"{network}: {ips}")
    return "; ".join(found)


def row(server: dict[str, Any], images: dict[str, str]) -> ServerRow:
    image = server.get("image") or {}
    image_id = image.get("id", "") if isinstance(image, dict) else ""
    flavor = server.get("flavor") or {}
    return ServerRow(
        id=str(server["id"]),
        name=str(server.get("name") or ""),
        status=str(server.get("status") or ""),
        task_state=str(server.get("OS-EXT-STS:task_state") or ""),
        power_state=_POWER.get(int(server.get("OS-EXT-STS:power_state") or 0), ""),
        image=images.get(image_id, image_id[:8]) if image_id else "",
        flavor=str(flavor.get("original_name") or flavor.get("id") or ""),
        addresses=_addresses(server),
        zone=str(server.get("OS-EXT-AZ:availability_zone") or ""),
        created=str(server.get("created") or ""),
        locked=bool(server.get("locked")),
        project_id=str(server.get("tenant_id") or ""),
    )


async def image_names(page: Page) -> dict[str, str]:
    """Image names by id for the current project, cached briefly per session."""

    async def load() -> dict[str, str]:
        images, _marker = await page.apis.images.images(limit=1000)
        return {str(i["id"]): str(i.get("name") or i["id"]) for i in images}

    names: dict[str, str] = await page.user.cached("image-names", NAMES_TTL, load)
    return names
