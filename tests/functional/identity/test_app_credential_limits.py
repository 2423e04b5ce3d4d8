"""What a token from an application credential may do: never more than the credential."""

from __future__ import annotations

from typing import Any

from tests.functional.identity.conftest import error
from tests.functional.identity.local import LocalIdentity, Member

RESTRICTED = (
    "You are not authorized to perform the requested action: Using method "
    "'application_credential' is not allowed for managing additional application credentials."
)
UNASSIGNED = (
    "Invalid application credential: Cannot create an application credential with unassigned role"
)


async def _create(
    keystone: LocalIdentity, who: Member, token: str, **fields: Any
) -> dict[str, Any]:
    path = f"/users/{who.user_id}/application_credentials"
    resp = await keystone.call("POST", path, {"application_credential": fields}, token=token)
    assert resp.status_code == 201, resp.text
    cred: dict[str, Any] = resp.json()["application_credential"]
    return cred


async def _owner_token(keystone: LocalIdentity, role: str = "member") -> tuple[Member, str]:
    who = await keystone.member(role)
    return who, await keystone.token(who.name, who.password, who.project_id)


async def test_a_restricted_credential_cannot_create_another(keystone: LocalIdentity) -> None:
    who, password_token = await _owner_token(keystone)
    reader = await _create(keystone, who, password_token, name="ro", roles=[{"name": "reader"}])
    token = await keystone.app_cred_token(reader)
    wider = {"name": "rw", "roles": [{"name": "member"}], "unrestricted": True}
    path = f"/users/{who.user_id}/application_credentials"
    resp = await keystone.call("POST", path, {"application_credential": wider}, token=token)
    assert error(resp) == (403, RESTRICTED)
    listed = await keystone.call("GET", path, token=password_token)
    assert [c["name"] for c in listed.json()["application_credentials"]] == ["ro"]


async def test_a_restricted_credential_cannot_delete_credentials(keystone: LocalIdentity) -> None:
    who, password_token = await _owner_token(keystone)
    reader = await _create(keystone, who, password_token, name="ro", roles=[{"name": "reader"}])
    other = await _create(keystone, who, password_token, name="other")
    token = await keystone.app_cred_token(reader)
    base = f"/users/{who.user_id}/application_credentials"
    for cred in (other, reader):
        resp = await keystone.call("DELETE", f"{base}/{cred['id']}", token=token)
        assert error(resp) == (403, RESTRICTED)
    assert (await keystone.app_cred_login(other)).status_code == 201


async def test_an_unrestricted_credential_manages_credentials(keystone: LocalIdentity) -> None:
    who, password_token = await _owner_token(keystone)
    boss = await _create(keystone, who, password_token, name="boss", unrestricted=True)
    token = await keystone.app_cred_token(boss)
    child = await _create(keystone, who, token, name="child", roles=[{"name": "reader"}])
    base = f"/users/{who.user_id}/application_credentials"
    assert (await keystone.call("DELETE", f"{base}/{child['id']}", token=token)).status_code == 204


async def test_no_credential_gets_a_role_its_creator_lacks(keystone: LocalIdentity) -> None:
    who, password_token = await _owner_token(keystone)
    limited = await _create(
        keystone, who, password_token, name="lim", roles=[{"name": "reader"}], unrestricted=True
    )
    token = await keystone.app_cred_token(limited)
    path = f"/users/{who.user_id}/application_credentials"
    for role in ({"name": "member"}, {"id": await keystone.role_id("member")}):
        body = {"application_credential": {"name": "up", "roles": [role]}}
        resp = await keystone.call("POST", path, body, token=token)
        assert error(resp) == (400, UNASSIGNED)
    inherited = await _create(keystone, who, token, name="same")
    assert [r["name"] for r in inherited["roles"]] == ["reader"]
    new_token = await keystone.app_cred_token(inherited)
    shown = await keystone.call(
        "GET", "/auth/tokens", token=new_token, headers={"X-Subject-Token": new_token}
    )
    assert [r["name"] for r in shown.json()["token"]["roles"]] == ["reader"]


async def test_a_password_token_cannot_grant_unassigned_or_unknown_roles(
    keystone: LocalIdentity,
) -> None:
    who, token = await _owner_token(keystone)
    path = f"/users/{who.user_id}/application_credentials"
    admin_role = {"application_credential": {"name": "x", "roles": [{"name": "admin"}]}}
    assert error(await keystone.call("POST", path, admin_role, token=token)) == (400, UNASSIGNED)
    unknown = {"application_credential": {"name": "y", "roles": [{"name": "no-such-role"}]}}
    code, message = error(await keystone.call("POST", path, unknown, token=token))
    assert (code, message) == (404, "Could not find role: no-such-role.")


async def test_implied_roles_reach_application_credential_tokens(
    keystone: LocalIdentity,
) -> None:
    who, password_token = await _owner_token(keystone)
    cred = await _create(keystone, who, password_token, name="m", roles=[{"name": "member"}])
    token = await keystone.app_cred_token(cred)
    issued = await keystone.app_cred_login(cred)
    assert {r["name"] for r in issued.json()["token"]["roles"]} == {"member", "reader"}
    # What another service sees when it validates the token with identity.
    validated = await keystone.call(
        "GET", "/auth/tokens", token=await keystone.admin(), headers={"X-Subject-Token": token}
    )
    assert validated.status_code == 200, validated.text
    assert {r["name"] for r in validated.json()["token"]["roles"]} == {"member", "reader"}


async def test_implied_roles_never_exceed_what_the_user_holds(keystone: LocalIdentity) -> None:
    who, password_token = await _owner_token(keystone, role="manager")
    cred = await _create(keystone, who, password_token, name="mgr", roles=[{"name": "member"}])
    roles = (await keystone.app_cred_login(cred)).json()["token"]["roles"]
    assert {r["name"] for r in roles} == {"member", "reader"}
