"""Key pairs: create (the private key is downloaded once, never kept), import, delete."""

from __future__ import annotations

import re

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.web import Page

_NAME = re.compile(r"^[A-Za-z0-9 _.@-]{1,255}$")


async def list_keypairs(page: Page) -> Response:
    keypairs = await page.apis.compute.list_keypairs()
    return page.render("keypairs/list.html", keypairs=keypairs)


async def create_keypair(page: Page) -> Response:
    """Create a key pair; answer with its private key as a download (shown this once)."""
    name = page.form.get("name").strip()
    if not _NAME.match(name):
        return page.redirect("/project/keypairs", _("Invalid key pair name."), "error")
    public_key = page.form.get("public_key").strip()
    created = await page.apis.compute.create_keypair(name, public_key or None)
    if public_key:
        return page.redirect("/project/keypairs", _("The key pair was imported."))
    return Response(
        str(created.get("private_key", "")),
        media_type="application/x-pem-file",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.pem"',
            "Cache-Control": "no-store",
        },
    )


async def delete_keypair(page: Page) -> Response:
    await page.apis.compute.delete_keypair(page.param("name"))
    return page.redirect("/project/keypairs", _("The key pair was deleted."))
