"""The admin password of a build, rebuild or evacuation: which one a guest gets, and shows.

As Nova does, the password is handed to the guest once, in its config drive's
``meta_data.json`` (``admin_pass``), from which the guest sets root's password; it is
stored nowhere. A server without a config drive cannot be handed one, so none is made
for it and none is answered. ``[compute] enable_instance_password`` (Nova's option)
decides whether a password is generated when none is given, and whether it is shown.
"""

from __future__ import annotations

import secrets
from typing import Any


def for_guest(conf: Any, given: str | None, config_drive: bool) -> str | None:
    """The password the guest will get, or None when it gets none."""
    if not config_drive:
        return None
    if given:
        return given
    return secrets.token_urlsafe(9) if conf.enable_instance_password else None


def shown(conf: Any, password: str | None) -> bool:
    """Whether the answer carries ``adminPass``: only a password really set, if enabled."""
    return password is not None and bool(conf.enable_instance_password)


def has_config_drive(conf: Any, requested: bool) -> bool:
    """Whether a server gets a config drive (asked for, or forced for every server)."""
    return bool(requested) or bool(conf.force_config_drive)
