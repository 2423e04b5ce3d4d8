"""Credentials (EC2 keys, blobs) through a token from an application credential."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.functional.identity.conftest import error
from tests.functional.identity.local import LocalIdentity, Member

NOT_ALLOWED = (
    "You are not authorized to perform the requested action: Using method "
    "'application_credential' is not allowed for managing additional {what}."
)
OTHER_PROJECT = (
    "You are not authorized to perform the requested action: {what} project does not match "
    "the project scope of the delegated token."
)


async def _cred_token(keystone: LocalIdentity, unrestricted: bool) -> tuple[Member, str, str]:
    """A member, a password token of theirs, and a token from an application credential."""
    who = await keystone.member()
    password_token = await keystone.token(who.name, who.password, who.project_id)
    body = {"application_credential": {"name": "c", "unrestricted": unrestricted}}
    path = f"/users/{who.user_id}/application_credentials"
    cred = (await keystone.call("POST", path, body, token=password_token)).json()
    token = await keystone.app_cred_token(cred["application_credential"])
    return who, password_token, token


async def _ec2(keystone: LocalIdentity, who: Member, token: str, project: str) -> httpx.Response:
    path = f"/users/{who.user_id}/credentials/OS-EC2"
    return await keystone.call("POST", path, {"tenant_id": project}, token=token)


def _blob_body(who: Member, project_id: str | None, kind: str = "ec2") -> dict[str, Any]:
    blob = json.dumps({"access": uuid.uuid4().hex, "secret": "s"})
    cred = {"type": kind, "user_id": who.user_id, "project_id": project_id, "blob": blob}
    return {"credential": cred}


async def test_a_restricted_credential_cannot_make_ec2_keys(keystone: LocalIdentity) -> None:
    who, _, token = await _cred_token(keystone, unrestricted=False)
    resp = await _ec2(keystone, who, token, who.project_id)
    assert error(resp) == (403, NOT_ALLOWED.format(what="application credentials"))
    generic = await keystone.call(
        "POST", "/credentials", _blob_body(who, who.project_id), token=token
    )
    assert error(generic) == (403, NOT_ALLOWED.format(what="credentials"))
    listed = await keystone.call("GET", f"/users/{who.user_id}/credentials/OS-EC2", token=token)
    assert listed.json()["credentials"] == []


async def test_a_restricted_credential_cannot_delete_ec2_keys(keystone: LocalIdentity) -> None:
    who, password_token, token = await _cred_token(keystone, unrestricted=False)
    made = await _ec2(keystone, who, password_token, who.project_id)
    access = made.json()["credential"]["access"]
    path = f"/users/{who.user_id}/credentials/OS-EC2/{access}"
    resp = await keystone.call("DELETE", path, token=token)
    assert error(resp) == (403, NOT_ALLOWED.format(what="application credentials"))
    assert (await keystone.call("GET", path, token=password_token)).status_code == 200


async def test_a_restricted_credential_still_stores_other_blobs(keystone: LocalIdentity) -> None:
    who, _, token = await _cred_token(keystone, unrestricted=False)
    body = _blob_body(who, who.project_id, kind="cert")
    assert (await keystone.call("POST", "/credentials", body, token=token)).status_code == 201


async def test_an_unrestricted_credential_keeps_to_its_project(keystone: LocalIdentity) -> None:
    who, password_token, token = await _cred_token(keystone, unrestricted=True)
    elsewhere = (
        await keystone.call(
            "POST",
            "/projects",
            {"project": {"name": f"p-{uuid.uuid4().hex[:6]}"}},
            token=await keystone.admin(),
        )
    ).json()["project"]["id"]
    assert (await _ec2(keystone, who, token, who.project_id)).status_code == 201
    resp = await _ec2(keystone, who, token, elsewhere)
    assert error(resp) == (403, OTHER_PROJECT.format(what="EC2 credential"))
    generic = await keystone.call("POST", "/credentials", _blob_body(who, elsewhere), token=token)
    assert error(generic) == (403, OTHER_PROJECT.format(what="Credential"))
    # The user's own password token is not bound to one project.
    assert (await _ec2(keystone, who, password_token, elsewhere)).status_code == 201


async def test_credentials_outside_the_project_stay_hidden(keystone: LocalIdentity) -> None:
    who, password_token, token = await _cred_token(keystone, unrestricted=True)
    mine = _blob_body(who, who.project_id, kind="cert")
    userwide = _blob_body(who, None, kind="totp")
    ids = []
    for body in (mine, userwide):
        made = await keystone.call("POST", "/credentials", body, token=password_token)
        assert made.status_code == 201, made.text
        ids.append(made.json()["credential"]["id"])
    listed = await keystone.call("GET", "/credentials", token=token)
    assert [c["id"] for c in listed.json()["credentials"]] == [ids[0]]
    hidden = await keystone.call("GET", f"/credentials/{ids[1]}", token=token)
    assert error(hidden) == (403, OTHER_PROJECT.format(what="Credential"))
    removed = await keystone.call("DELETE", f"/credentials/{ids[1]}", token=token)
    assert error(removed)[0] == 403
    assert (
        await keystone.call("GET", f"/credentials/{ids[1]}", token=password_token)
    ).status_code == 200


async def test_a_restricted_credential_cannot_turn_a_blob_into_an_ec2_key(
    keystone: LocalIdentity,
) -> None:
    who, _, token = await _cred_token(keystone, unrestricted=False)
    made = await keystone.call(
        "POST", "/credentials", _blob_body(who, who.project_id, kind="cert"), token=token
    )
    path = f"/credentials/{made.json()['credential']['id']}"
    resp = await keystone.call("PATCH", path, {"credential": {"type": "ec2"}}, token=token)
    assert error(resp) == (403, NOT_ALLOWED.format(what="credentials"))
    assert (await keystone.call("GET", path, token=token)).json()["credential"]["type"] == "cert"
