"""Jinja2 templates: one environment, autoescaped, with the request's translations.

Every value a template prints is HTML-escaped (``autoescape``): names and fields that
users wrote show as text wherever they appear, pages, fragments and SVG alike. Only
the few pieces the dashboard composes itself are marked safe, in Python, after
escaping what they contain.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader

from nimbostack.dashboard import flow, i18n

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

_BUSY = {"BUILD", "REBUILD", "RESIZE", "MIGRATING", "REBOOT", "HARD_REBOOT", "PASSWORD"}


def status_class(status: str | None) -> str:
    """The CSS class of a status badge."""
    value = (status or "").upper()
    if value in ("ACTIVE", "AVAILABLE", "UP", "ENABLED", "ACCEPTED"):
        return "ok"
    if value in ("ERROR", "DOWN", "KILLED", "REJECTED"):
        return "bad"
    if value in _BUSY or value.endswith("ING") or value in ("QUEUED", "SAVING", "IMPORTING"):
        return "busy"
    return "idle"


def when(text: str | None) -> str:
    """An API timestamp, shorter: ``2026-11-30 23:28:57``."""
    if not text:
        return ""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def size(value: int | float | None) -> str:
    if value is None:
        return ""
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return str(value)


def static_version() -> str:
    """A short hash of the static files, so browsers cache them until they change."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        # Fields other clouds leave out render empty rather than failing the page.
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext_, ngettext=i18n.ngettext_, newstyle=True
    )
    env.filters.update(status_class=status_class, when=when, size=size)
    env.globals.update(
        static_version=static_version(),
        languages=i18n.LANGUAGES,
        lane_x=flow.lane_x,
        flow_layout=flow.layout,
        flow_size=flow.size,
    )
    return env


class Renderer:
    """Renders pages and fragments with the shared environment."""

    def __init__(self) -> None:
        self.env = environment()

    def render(self, template: str, context: dict[str, Any]) -> str:
        return self.env.get_template(template).render(context)
