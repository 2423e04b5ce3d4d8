"""Every server action the dashboard offers, in one registry: its API body, the
statuses it applies to, whether it needs an input and whether it is for admins.

The pages, the action buttons and the handler all read this registry, so an action
name is written once. Nova's API decides in the end (409 when the state forbids it);
``when`` only decides which buttons a page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nimbostack.dashboard.panels import N_

Body = Callable[[dict[str, str]], Any]
ANY_STATUS: tuple[str, ...] = ()


def _none(_form: dict[str, str]) -> Any:
    return None


def _empty(_form: dict[str, str]) -> Any:
    return {}


@dataclass(frozen=True)
class Action:
    """One server action: ``POST /servers/{id}/action`` with ``{api: body(form)}``."""

    key: str
    api: str
    label: str
    when: tuple[str, ...]
    body: Body = _none
    needs: str = ""  # the form field it asks for: "flavor", "image", "name", "host"
    admin: bool = False
    danger: bool = False

    def applies(self, server: dict[str, Any], is_admin: bool) -> bool:
        if self.admin and not is_admin:
            return False
        if self.key == "lock":
            return not server.get("locked")
        if self.key == "unlock":
            return bool(server.get("locked"))
        return not self.when or str(server.get("status")) in self.when


_LIVE = ("ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED")
ACTIONS: tuple[Action, ...] = (
    Action("start", "os-start", N_("Start"), ("SHUTOFF",)),
    Action("stop", "os-stop", N_("Stop"), ("ACTIVE", "ERROR", "RESCUE")),
    Action("reboot", "reboot", N_("Soft reboot"), ("ACTIVE",), lambda f: {"type": "SOFT"}),
    Action(
        "hard_reboot",
        "reboot",
        N_("Hard reboot"),
        ("ACTIVE", "SHUTOFF", "ERROR"),
        lambda f: {"type": "HARD"},
    ),
    Action("pause", "pause", N_("Pause"), ("ACTIVE",)),
    Action("unpause", "unpause", N_("Unpause"), ("PAUSED",)),
    Action("suspend", "suspend", N_("Suspend"), ("ACTIVE",)),
    Action("resume", "resume", N_("Resume"), ("SUSPENDED",)),
    Action("shelve", "shelve", N_("Shelve"), _LIVE),
    Action("unshelve", "unshelve", N_("Unshelve"), ("SHELVED", "SHELVED_OFFLOADED")),
    Action(
        "resize",
        "resize",
        N_("Resize"),
        ("ACTIVE", "SHUTOFF"),
        lambda f: {"flavorRef": f.get("flavor", "")},
        needs="flavor",
    ),
    Action("confirm_resize", "confirmResize", N_("Confirm resize"), ("VERIFY_RESIZE",)),
    Action("revert_resize", "revertResize", N_("Revert resize"), ("VERIFY_RESIZE",)),
    Action(
        "rebuild",
        "rebuild",
        N_("Rebuild"),
        ("ACTIVE", "SHUTOFF", "ERROR"),
        lambda f: {"imageRef": f.get("image", "")},
        needs="image",
        danger=True,
    ),
    Action("rescue", "rescue", N_("Rescue"), ("ACTIVE", "SHUTOFF"), _empty),
    Action("unrescue", "unrescue", N_("Unrescue"), ("RESCUE",)),
    Action(
        "snapshot",
        "createImage",
        N_("Create snapshot"),
        _LIVE,
        lambda f: {"name": f.get("name", "")},
        needs="name",
    ),
    Action("lock", "lock", N_("Lock"), ANY_STATUS),
    Action("unlock", "unlock", N_("Unlock"), ANY_STATUS),
    Action("migrate", "migrate", N_("Migrate"), ("ACTIVE", "SHUTOFF"), admin=True),
    Action(
        "live_migrate",
        "os-migrateLive",
        N_("Live migrate"),
        ("ACTIVE", "PAUSED"),
        lambda f: {"host": f.get("host") or None, "block_migration": "auto"},
        needs="host",
        admin=True,
    ),
)
BY_KEY = {action.key: action for action in ACTIONS}


def offered(server: dict[str, Any], is_admin: bool) -> list[Action]:
    """The actions to show for ``server`` now."""
    return [action for action in ACTIONS if action.applies(server, is_admin)]
