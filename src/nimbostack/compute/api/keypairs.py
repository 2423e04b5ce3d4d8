"""Keypairs (per user): import or generate, list, show, delete, per microversion."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.responses import Response

from nimbostack.compute.api import paging
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.compute.db.models import KeyPair
from nimbostack.compute.objects import keypairs
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Forbidden
from nimbostack.core.timeutil import iso

_SAFE_OLD = re.compile(r"^[a-zA-Z0-9 _-]+$")
_SAFE_292 = re.compile(r"^[a-zA-Z0-9 @._-]+$")


def _version(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


def _schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "public_key": {"type": "string"},
    }
    if version.matches("2.2"):
        props["type"] = {"enum": ["ssh", "x509"]}
    if version.matches("2.10"):
        props["user_id"] = {"type": "string"}
    required = ["name", "public_key"] if version.matches("2.92") else ["name"]
    return {
        "type": "object",
        "properties": {
            "keypair": {
                "type": "object",
                "properties": props,
                "required": required,
                "additionalProperties": False,
            }
        },
        "required": ["keypair"],
        "additionalProperties": False,
    }


def _owner(req: ApiRequest, requested: str | None) -> str:
    """The user whose keypairs are meant: oneself, or (admins, 2.10+) another user."""
    own = req.context.user_id or ""
    if requested and _version(req).matches("2.10"):
        req.enforce("os_compute_api:os-keypairs:index", {"user_id": requested})
        return requested
    return own


def _view(req: ApiRequest, key: KeyPair, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": key.name,
        "public_key": key.public_key,
        "fingerprint": key.fingerprint,
    }
    if _version(req).matches("2.2"):
        body["type"] = key.type
    if full:
        body.update(
            user_id=key.user_id,
            id=key.id,
            created_at=iso(key.created_at, micro=True),
            deleted=False,
            deleted_at=None,
            updated_at=None,
        )
    return body


async def create_keypair(req: ApiRequest) -> Response:
    state = state_of(req)
    version = _version(req)
    body = (await req.json(_schema(version)))["keypair"]
    user_id = _owner(req, body.get("user_id"))
    req.enforce("os_compute_api:os-keypairs:create", {"user_id": user_id})
    name = body["name"].strip()
    safe = _SAFE_292 if version.matches("2.92") else _SAFE_OLD
    if not name or not safe.match(name):
        raise BadRequest("Keypair data is invalid: Keypair name contains unsafe characters")
    limit = int(compute_conf(state).quota_key_pairs)
    # Checked again, under the user's quota lock, when the pair is recorded.
    if 0 <= limit <= await keypairs.count(state.db, user_id):
        raise Forbidden("Quota exceeded, too many key pairs.")
    key_type = body.get("type", "ssh")
    private = None
    public = body.get("public_key")
    # Making an RSA key takes a good part of a second of CPU: off the event loop.
    if public is None and key_type == "x509":
        private, public = await asyncio.to_thread(keypairs.generate_x509, user_id)
    elif public is None:
        private, public = await asyncio.to_thread(keypairs.generate)
    fingerprint = (
        keypairs.x509_fingerprint(public)
        if key_type == "x509"
        else keypairs.ssh_fingerprint(public)
    )
    record = await keypairs.create(
        state.db,
        user_id,
        name,
        public_key=public.strip(),
        key_type=key_type,
        fingerprint=fingerprint,
        limit=limit,
    )
    shown = _view(req, record)
    shown["user_id"] = user_id
    if private is not None:
        shown["private_key"] = private
    return json_response({"keypair": shown}, 201 if version.matches("2.2") else 200)


async def list_keypairs(req: ApiRequest) -> Response:
    state = state_of(req)
    user_id = _owner(req, req.query.get("user_id"))
    req.enforce("os_compute_api:os-keypairs:index", {"user_id": user_id})
    limit = marker = None
    if _version(req).matches("2.35"):
        limit = paging.page_size(req)
        marker = req.query.get("marker")
    rows = await keypairs.list_for(state.db, user_id, limit, marker)
    body: dict[str, Any] = {"keypairs": [{"keypair": _view(req, k)} for k in rows]}
    names = [k.name for k in rows]
    paging.add_next_link(body, "keypairs_links", req, "/os-keypairs", limit=limit, shown=names)
    return json_response(body)


async def show_keypair(req: ApiRequest) -> Response:
    state = state_of(req)
    user_id = _owner(req, req.query.get("user_id"))
    req.enforce("os_compute_api:os-keypairs:show", {"user_id": user_id})
    key = await keypairs.get(state.db, user_id, req.param("name"))
    return json_response({"keypair": _view(req, key, full=True)})


async def delete_keypair(req: ApiRequest) -> Response:
    state = state_of(req)
    user_id = _owner(req, req.query.get("user_id"))
    req.enforce("os_compute_api:os-keypairs:delete", {"user_id": user_id})
    await keypairs.remove(state.db, user_id, req.param("name"))
    return empty(204 if _version(req).matches("2.2") else 202)
