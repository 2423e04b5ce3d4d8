"""Volumes: the project's list (paged), create (empty or from an image), delete,
attach to and detach from an instance (compute's ``os-volume_attachments``), and
snapshots (paged list, create, delete)."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.views.netcommon import field_id, ident, marker, server_names
from nimbostack.dashboard.web import Page

LIST = "/project/volumes"
MAX_SIZE = 16384


async def list_volumes(page: Page) -> Response:
    cinder = page.apis.volumes
    size = page.state.settings.page_size
    volumes, snapshots, servers, images = await asyncio.gather(
        cinder.volumes(limit=size, marker=marker(page)),
        cinder.snapshots(limit=size, marker=marker(page, "snapshot_marker")),
        server_names(page),
        page.apis.images.images(limit=200, status="active"),
    )
    names = {str(v["id"]): str(v.get("name") or v["id"]) for v in volumes.items}
    return page.render(
        "volumes/list.html",
        volumes=volumes.items,
        next_marker=volumes.next_marker,
        snapshots=snapshots.items,
        next_snapshot_marker=snapshots.next_marker,
        servers=servers,
        volume_names=names,
        images=sorted(images[0], key=lambda i: str(i.get("name") or "")),
    )


async def create_volume(page: Page) -> Response:
    form = page.form
    size = form.int("size", 0)
    if not 1 <= size <= MAX_SIZE:
        return page.redirect(LIST, _("Give a size from 1 to %d GiB.") % MAX_SIZE, "error")
    image = field_id(page, "image") if form.get("source") == "image" else ""
    if form.get("source") == "image" and not image:
        return page.redirect(LIST, _("Choose an image."), "error")
    fields = {
        "name": form.get("name").strip() or None,
        "description": form.get("description").strip() or None,
        "size": size,
        "imageRef": image or None,
    }
    await page.apis.volumes.create_volume(**fields)
    return page.redirect(LIST, _("The volume is being created."))


async def delete_volume(page: Page) -> Response:
    await page.apis.volumes.delete_volume(ident(page, "volume_id"))
    return page.redirect(LIST, _("The volume is being deleted."))


async def attach(page: Page) -> Response:
    volume_id = ident(page, "volume_id")
    server_id = field_id(page, "server_id")
    if not server_id:
        return page.redirect(LIST, _("Choose an instance."), "error")
    await page.apis.compute.attach_volume(server_id, volume_id)
    return page.redirect(LIST, _("The volume is being attached."))


async def detach(page: Page) -> Response:
    volume_id = ident(page, "volume_id")
    server_id = field_id(page, "server_id")
    if not server_id:
        return page.redirect(LIST, _("Choose an instance."), "error")
    await page.apis.compute.detach_volume(server_id, volume_id)
    return page.redirect(LIST, _("The volume is being detached."))


async def create_snapshot(page: Page) -> Response:
    volume_id = ident(page, "volume_id")
    name = page.form.get("name").strip() or None
    await page.apis.volumes.create_snapshot(volume_id, name or "", page.form.get("force") == "on")
    return page.redirect(LIST, _("The snapshot is being created."))


async def delete_snapshot(page: Page) -> Response:
    await page.apis.volumes.delete_snapshot(ident(page, "snapshot_id"))
    return page.redirect(LIST, _("The snapshot is being deleted."))
