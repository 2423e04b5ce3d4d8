"""Metadata paths: ``/openstack/<version>/...`` and EC2's ``/<version>/meta-data/...``.

A guest is identified by the proxy's ``X-Instance-ID`` header signed with the shared
secret (``X-Instance-ID-Signature`` = HMAC-SHA256 hex, as Nova's proxy sends), or, once
networking exists, by its fixed IP (``X-Forwarded-For``). Content comes from the same
builder as the config drive, so both always agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from nimbostack.compute.configdrive import EC2_VERSIONS, OPENSTACK_VERSIONS
from nimbostack.compute.configdrive import openstack_metadata_files as build_files
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.request import ApiRequest

EC2_ROOT_VERSIONS = ("1.0", *EC2_VERSIONS, "latest")


def _secret(state: Any) -> str:
    return str(state.conf.compute.get("metadata_proxy_shared_secret", "") or "")


def sign(secret: str, instance_id: str) -> str:
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


async def _by_ip(state: Any, address: str) -> Instance | None:
    async with state.db.session() as s:
        rows = await s.scalars(select(Instance).where(Instance.deleted.is_(False)))
        for row in rows:
            for vif in row.network_info or []:
                if any(ip.get("address") == address for ip in vif.get("ips", [])):
                    found: Instance = row
                    return found
    return None


async def identify(state: Any, request: Request) -> Instance | None:
    instance_id = request.headers.get("x-instance-id")
    if instance_id:
        secret = _secret(state)
        given = request.headers.get("x-instance-id-signature", "")
        if not secret or not hmac.compare_digest(sign(secret, instance_id), given):
            return None
        async with state.db.session() as s:
            found = await s.get(Instance, instance_id)
        return found if found is not None and not found.deleted else None
    forwarded = request.headers.get("x-forwarded-for")
    address = forwarded.split(",")[0].strip() if forwarded else None
    return await _by_ip(state, address) if address else None


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
