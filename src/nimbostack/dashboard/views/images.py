"""Images: list, details, upload with progress (streamed), web-download, properties,
sharing and members, delete."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.responses import JSONResponse, Response

from nimbostack.clients.rest import RestError
from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.web import Page

DISK_FORMATS = ("qcow2", "raw", "vmdk", "vdi", "vhd", "vhdx", "iso", "ami", "ari", "aki")
VISIBILITIES = ("private", "shared", "community", "public")
# Fields of the image body that are not free-form properties.
_CORE = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "size",
    "virtual_size",
    "min_ram",
    "min_disk",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
    "disk_format",
    "container_format",
    "locations",
    "direct_url",
    "stores",
    "os_hidden",
}


async def list_images(page: Page) -> Response:
    params: dict[str, Any] = {"limit": page.state.settings.page_size}
    if page.query("marker"):
        params["marker"] = page.query("marker")
    if page.query("name"):
        params["name"] = page.query("name")
    images, marker = await page.apis.images.images(**params)
    return page.render(
        "images/list.html", images=images, next_marker=marker or "", name=page.query("name")
    )


async def show_image(page: Page) -> Response:
    image_id = page.param("image_id")
    image = await page.apis.images.image(image_id)
    members: list[dict[str, Any]] = []
    if image.get("visibility") == "shared":
        with contextlib.suppress(RestError):
            members = await page.apis.images.members(image_id)
    properties = {k: v for k, v in image.items() if k not in _CORE}
    return page.render(
        "images/detail.html",
        image=image,
        properties=properties,
        members=members,
        own=image.get("owner") == page.user.token.project_id,
    )


async def create_form(page: Page) -> Response:
    methods: list[str] = []
    with contextlib.suppress(RestError):
        methods = list((await page.apis.images.import_info()).get("value", []))
    return page.render(
        "images/create.html",
        disk_formats=DISK_FORMATS,
        visibilities=VISIBILITIES,
        web_download="web-download" in methods,
    )


def _fields(form: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "disk_format": form.get("disk_format") or "qcow2",
        "container_format": "bare",
        "visibility": form.get("visibility") or "private",
    }
    for key in ("min_disk", "min_ram"):
        if form.get(key, "").isdigit():
            fields[key] = int(form[key])
    return fields


async def create_image(page: Page) -> Response:
    """Create the record; then the browser streams the file, or glance fetches the URL."""
    form = page.form.as_dict()
    fields = _fields(form)
    if not fields["name"]:
        return JSONResponse({"error": _("Give the image a name.")}, 400)
    if fields["disk_format"] not in DISK_FORMATS or fields["visibility"] not in VISIBILITIES:
        return JSONResponse({"error": _("Unknown format or visibility.")}, 400)
    try:
        image = await page.apis.images.create(**fields)
        if form.get("source") == "url":
            await page.apis.images.web_download(str(image["id"]), form.get("url", ""))
    except RestError as exc:
        if exc.status == 401:
            raise
        return JSONResponse({"error": exc.message}, exc.status)
    return JSONResponse({"id": image["id"], "upload": f"/project/images/{image['id']}/data"})


async def upload_data(page: Page) -> Response:
    """Stream the request body to the image service chunk by chunk (never held whole)."""
    image_id = page.param("image_id")
    try:
        await page.apis.images.upload(image_id, page.request.stream())
    except RestError as exc:
        if exc.status == 401:
            raise
        return JSONResponse({"error": exc.message}, exc.status)
    return JSONResponse({"id": image_id, "location": f"/project/images/{image_id}"})


async def update_image(page: Page) -> Response:
    image_id = page.param("image_id")
    form = page.form
    changes: list[dict[str, Any]] = []
    for field in ("name", "visibility"):
        if form.get(field):
            changes.append({"op": "replace", "path": f"/{field}", "value": form.get(field)})
    key, value = form.get("property_key").strip(), form.get("property_value")
    if key and key not in _CORE:
        changes.append({"op": "add", "path": f"/{key}", "value": value})
    for removed in form.getlist("remove_property"):
        if removed not in _CORE:
            changes.append({"op": "remove", "path": f"/{removed}"})
    if changes:
        await page.apis.images.patch(image_id, changes)
    return page.redirect(f"/project/images/{image_id}", _("The image was updated."))


async def add_member(page: Page) -> Response:
    image_id = page.param("image_id")
    await page.apis.images.add_member(image_id, page.form.get("member").strip())
    return page.redirect(f"/project/images/{image_id}", _("The project was added."))


async def remove_member(page: Page) -> Response:
    image_id = page.param("image_id")
    await page.apis.images.remove_member(image_id, page.param("member_id"))
    return page.redirect(f"/project/images/{image_id}", _("The project was removed."))


async def member_status(page: Page) -> Response:
    image_id = page.param("image_id")
    member = page.user.token.project_id or ""
    await page.apis.images.set_member_status(image_id, member, page.form.get("status"))
    return page.redirect(f"/project/images/{image_id}", _("Your answer was recorded."))


async def delete_image(page: Page) -> Response:
    await page.apis.images.delete(page.param("image_id"))
    return page.redirect("/project/images", _("The image was deleted."))


async def image_status(page: Page) -> Response:
    """The image's status and size, for the upload page's final check."""
    image = await page.apis.images.image(page.param("image_id"))
    return JSONResponse({"status": image.get("status"), "size": image.get("size")})
