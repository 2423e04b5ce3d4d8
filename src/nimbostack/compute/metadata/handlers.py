"""Metadata paths: ``/openstack/<version>/...`` and EC2's ``/<version>/meta-data/...``.

A guest is identified only by the proxy's ``X-Instance-ID`` header signed with the
shared secret of ``[metadata]`` (``X-Instance-ID-Signature`` = HMAC-SHA256 hex, as
networking's metadata agent sends): an unsigned or wrongly signed request gets 403, and
a client address alone (``X-Forwarded-For``) identifies nothing. Content comes from the
same builder as the config drive, so both always agree.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from nimbostack.compute.configdrive import EC2_VERSIONS, OPENSTACK_VERSIONS
from nimbostack.compute.configdrive import openstack_metadata_files as build_files
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import Forbidden
from nimbostack.core.metadata import verify

EC2_ROOT_VERSIONS = ("1.0", *EC2_VERSIONS, "latest")


async def identify(state: Any, request: Request) -> Instance | None:
    """The instance the signed ``X-Instance-ID`` names (403 without a valid signature)."""
    instance_id = request.headers.get("x-instance-id", "")
    given = request.headers.get("x-instance-id-signature", "")
    secret = str(state.conf.metadata.get("shared_secret") or "")
    if not instance_id or not verify(secret, instance_id, given):
        raise Forbidden("The instance id is not signed by the metadata proxy.")
    async with state.db.session() as s:
        found = await s.get(Instance, instance_id)
    if found is None or found.deleted:
        return None
    tenant = request.headers.get("x-tenant-id")
    # As Nova: an instance of another project than the proxy found is not this guest's.
    return found if tenant is None or tenant == found.project_id else None


def files_for(instance: Instance) -> dict[str, bytes]:
    keys = {instance.key_name: instance.key_data} if instance.key_name and instance.key_data else {}
    user_data = None
    if instance.user_data:
        user_data = base64.b64decode(instance.user_data)
    return build_files(
        instance.uuid,
        instance.hostname,
        instance.display_name,
        keys,
        user_data,
        None,
        meta={k: str(v) for k, v in (instance.metadata_ or {}).items()},
        availability_zone=instance.availability_zone or "nova",
        project_id=instance.project_id,
        launch_index=instance.launch_index,
        instance_type=str((instance.flavor or {}).get("name", "")),
        image_id=instance.image_ref,
    )


def _listing(names: list[str]) -> Response:
    return PlainTextResponse("\n".join(names))


def _openstack(files: dict[str, bytes], parts: list[str]) -> Response | None:
    if not parts:
        return _listing([*OPENSTACK_VERSIONS, "latest"])
    prefix = "openstack/" + "/".join(parts)
    if prefix in files:
        media = "application/json" if prefix.endswith(".json") else "text/plain"
        return Response(files[prefix], media_type=media)
    below = sorted(
        {p[len(prefix) + 1 :].split("/")[0] for p in files if p.startswith(prefix + "/")}
    )
    return _listing(below) if below else None


def _ec2(files: dict[str, bytes], parts: list[str]) -> Response | None:
    version = parts[0]
    if version not in EC2_ROOT_VERSIONS:
        return None
    if len(parts) == 1:
        names = ["meta-data/"] + (["user-data"] if "ec2/latest/user-data" in files else [])
        return _listing(names)
    if parts[1] == "user-data":
        data = files.get("ec2/latest/user-data")
        return Response(data, media_type="text/plain") if data is not None else None
    if parts[1] != "meta-data":
        return None
    node: Any = json.loads(files["ec2/latest/meta-data.json"])
    for part in [p for p in parts[2:] if p]:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, dict):
        return _listing([f"{k}/" if isinstance(v, dict) else k for k, v in node.items()])
    if isinstance(node, list):
        return _listing([str(v) for v in node])
    return PlainTextResponse(str(node))


async def serve(req: ApiRequest) -> Response:
    """Any GET on the metadata API: a listing, or one file or value of the instance."""
    state = req.service_state
    request = req.http
    path = str(request.path_params.get("path", "")).strip("/")
    parts = [p for p in path.split("/") if p] if path else []
    if not parts:
        return _listing([*EC2_ROOT_VERSIONS, "openstack"])
    instance = await identify(state, request)
    if instance is None:
        return PlainTextResponse("The instance could not be identified.", status_code=404)
    files = files_for(instance)
    found = _openstack(files, parts[1:]) if parts[0] == "openstack" else _ec2(files, parts)
    return found or PlainTextResponse("Not Found", status_code=404)
