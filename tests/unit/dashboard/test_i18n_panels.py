"""Languages, message catalogs, the panel registry and the route table agree."""

from __future__ import annotations

import gettext

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from starlette.routing import Route

from nimbostack.dashboard import i18n, panels
from nimbostack.dashboard.app import ROUTES


def test_language_comes_from_the_cookie_then_accept_language() -> None:
    assert i18n.negotiate("ko", "en-US") == "ko"
    assert i18n.negotiate(None, "fr;q=0.9, ko-KR;q=0.8, en;q=0.5") == "ko"
    assert i18n.negotiate("xx", "de") == "en"


def test_the_committed_mo_files_match_their_po() -> None:
    for po_path in i18n.DIRECTORY.glob("*/LC_MESSAGES/dashboard.po"):
        with po_path.open("rb") as po, po_path.with_suffix(".mo").open("rb") as mo:
            source, compiled = read_po(po), read_mo(mo)
        wanted = {m.id: m.string for m in source if m.id and m.string}
        got = {m.id: m.string for m in compiled if m.id}
        assert got == wanted, f"{po_path}: run scripts/dashboard_messages.py compile"


def test_every_message_of_the_source_is_translated_to_korean() -> None:
    with (i18n.DIRECTORY / "ko/LC_MESSAGES/dashboard.po").open("rb") as po:
        untranslated = [m.id for m in read_po(po) if m.id and not m.string]
    assert not untranslated
    korean = gettext.translation(i18n.DOMAIN, i18n.DIRECTORY, languages=["ko"])
    assert korean.gettext("Instances") == "인스턴스"


def test_panels_show_by_catalog_and_role() -> None:
    shown = {p.key for p in panels.visible(["compute", "image", "identity"], is_admin=False)}
    assert {"instances", "images", "keypairs"} <= shown
    assert not shown & {"hypervisors", "projects", "placement", "networks", "volumes"}
    admin = {p.key for p in panels.visible(["compute", "identity", "placement"], True)}
    assert {"hypervisors", "projects", "placement"} <= admin and "images" not in admin


def test_every_ready_panel_has_a_page() -> None:
    pages = {r.path for r in ROUTES if isinstance(r, Route) and "GET" in (r.methods or ())}
    missing = [p.path for p in panels.PANELS if p.ready and p.path not in pages]
    assert not missing
