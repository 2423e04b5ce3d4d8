"""Resolving what a server request refers to: flavor, image, keypair, group, destination."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.api.deps import ApiState, compute_conf, user_images
from nimbostack.compute.db.models import ComputeNode, ServerGroup
from nimbostack.compute.objects import aggregates, flavors, keypairs, server_groups
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable

GIB = 1024**3
# Image ids are UUIDs; anything else (a NUL, a slash, a space) cannot name an image and
# must not reach the image service's URL.
_IMAGE_ID = re.compile(r"[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}")
_IMAGE_BASE = {
    "id",
    "name",
    "status",
    "disk_format",
    "container_format",
    "min_ram",
    "min_disk",
    "size",
    "virtual_size",
    "owner",
    "visibility",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "protected",
    "tags",
    "created_at",
    "updated_at",
    "file",
    "schema",
    "self",
    "locations",
    "direct_url",
    "os_hidden",
}


def ref_id(ref: Any) -> str:
    """flavorRef / imageRef may be a bare id or a URL ending in it."""
    text = str(ref).strip()
    return text.rstrip("/").rsplit("/", 1)[-1] if "/" in text else text


async def flavor(req: ApiRequest, state: ApiState, ref: Any) -> dict[str, Any]:
    try:
        async with state.db.session() as s:
            found = await flavors.get(s, req.context, ref_id(ref))
            if found.disabled:
                raise NotFound("disabled")
            return flavors.snapshot(found)
    except NotFound:
        raise BadRequest("Invalid flavorRef provided.") from None


async def _fetch_image(req: ApiRequest, state: ApiState, image_id: str) -> dict[str, Any]:
    async with user_images(req, state) as images:
        try:
            resp = await images.client.get(
                f"{images.base}/v2/images/{image_id}", headers=images.headers
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"The image service is not reachable: {exc}") from None
    if resp.status_code in (403, 404):
        raise BadRequest("Can not find requested image")
    if resp.status_code != 200:
        raise ServiceUnavailable(f"The image service answered {resp.status_code}")
    return dict(resp.json())


def _image_spec(raw: dict[str, Any]) -> dict[str, Any]:
    spec = {k: raw.get(k) for k in _IMAGE_BASE if k in raw}
    spec["properties"] = {k: v for k, v in raw.items() if k not in _IMAGE_BASE}
    return spec


def check_image_fits(image: dict[str, Any], flavor: dict[str, Any]) -> None:
    """Nova's checks of a flavor against an image's size and minimums."""
    if int(image.get("min_ram") or 0) > int(flavor["memory_mb"]):
        raise BadRequest("Flavor's memory is too small for requested image.")
    root = int(flavor["root_gb"])
    if root == 0:
        return
    size = int(image.get("size") or 0)
    if size > root * GIB:
        raise BadRequest(
            "Flavor's disk is too small for requested image. Flavor disk is "
            f"{root * GIB} bytes, image is {size} bytes."
        )
    min_disk = int(image.get("min_disk") or 0)
    if min_disk > root:
        raise BadRequest(
            "Flavor's disk is smaller than the minimum size specified in image metadata. "
            f"Flavor disk is {root * GIB} bytes, minimum size is {min_disk * GIB} bytes."
        )


async def image(
    req: ApiRequest, state: ApiState, ref: Any, flavor: dict[str, Any]
) -> dict[str, Any]:
    """The image record, checked usable with the flavor; 400 when missing or unusable."""
    image_id = ref_id(ref)
    if not image_id:
        raise BadRequest("Missing imageRef attribute")
    if not _IMAGE_ID.fullmatch(image_id):
        raise BadRequest(f"Invalid imageRef provided: {image_id!r} is not an image id.")
    raw = await _fetch_image(req, state, image_id)
    if raw.get("status") != "active":
        raise BadRequest(f"Image {image_id} is not active.")
    spec = _image_spec(raw)
    check_image_fits(spec, flavor)
    return spec


async def keypair(
    req: ApiRequest, state: ApiState, name: str | None
) -> tuple[str | None, str | None]:
    if name is None:
        return None, None
    try:
        found = await keypairs.get(state.db, req.context.user_id or "", name)
    except NotFound as exc:
        raise BadRequest(exc.message) from None
    return found.name, found.public_key


def metadata(state: ApiState, values: dict[str, str]) -> dict[str, str]:
    limit = int(compute_conf(state).quota_metadata_items)
    if 0 <= limit < len(values):
        raise Forbidden("Quota exceeded, too many metadata items.")
    return dict(values)


def tags(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


async def group_hint(req: ApiRequest, state: ApiState, hints: dict[str, Any]) -> str | None:
    raw = hints.get("group")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if not raw:
        return None
    async with state.db.session() as s:
        group = await s.get(ServerGroup, str(raw))
    if group is None or (group.project_id != req.context.project_id and not req.context.is_admin):
        raise BadRequest(f"Invalid server group: {raw} could not be found.")
    return group.uuid


async def add_members(s: AsyncSession, conf: Any, group_uuid: str, uuids: list[str]) -> None:
    await server_groups.add_members(s, group_uuid, uuids, int(conf.quota_server_group_members))


async def _known_azs(state: ApiState) -> set[str]:
    known = {str(compute_conf(state).default_availability_zone)}
    known.update(await aggregates.availability_zones(state.db))
    return known


async def check_destination(
    req: ApiRequest,
    state: ApiState,
    server: dict[str, Any],
    values: dict[str, Any],
    version: Version,
) -> None:
    """AZ (optionally ``az:host[:node]``) and 2.74's host: admins only may name a host."""
    zone = server.get("availability_zone")
    host = server.get("host")
    if zone and ":" in zone:
        zone, _, rest = zone.partition(":")
        host = rest.split(":", 1)[0] or None
        req.enforce(
            "os_compute_api:servers:create:forced_host", {"project_id": req.context.project_id}
        )
        if server.get("host") or server.get("hypervisor_hostname"):
            raise BadRequest("host and hypervisor_hostname cannot be used with az:host:node.")
    elif host or server.get("hypervisor_hostname"):
        req.enforce(
            "os_compute_api:servers:create:requested_destination",
            {"project_id": req.context.project_id},
        )
    if zone and zone not in await _known_azs(state):
        raise BadRequest("The requested availability zone is not available")
    values["availability_zone"] = zone or None
    if host:
        async with state.db.session() as s:
            node = await s.scalar(select(ComputeNode).where(ComputeNode.host == host).limit(1))
        if node is None:
            raise BadRequest(f"Compute host {host} could not be found.")
        values["force_host"] = host
