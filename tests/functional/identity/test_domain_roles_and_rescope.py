"""Domain-specific roles (never effective themselves), app-credential expiry echo,
and rescoping a token that no longer validates."""

from __future__ import annotations

from typing import Any

import httpx

from tests.functional.identity.conftest import Api, error, unique
from tests.support.cloud import CloudAccess


def test_domain_role_is_not_effective_but_its_implied_global_role_is(
    cloud: CloudAccess, api: Api, role_ids: dict[str, str]
) -> None:
    account = cloud.make_project_user("domrole")
    domain = api.create("domain", name=unique("rd"))
    project = api.create("project", name=unique("rp"), domain_id=domain["id"])
    domain_role = api.create("role", name=unique("dr"), domain_id=domain["id"])
    grant = f"/projects/{project['id']}/users/{account.user_id}/roles/{domain_role['id']}"
    assert api.put(grant).status_code == 204
    query = {"scope.project.id": project["id"], "user.id": account.user_id, "effective": ""}

    def effective() -> set[str]:
        found = api.get("/role_assignments", params=query).json()["role_assignments"]
        return {a["role"]["id"] for a in found}

    assert effective() == set()
    implied = f"/roles/{domain_role['id']}/implies/{role_ids['member']}"
    assert api.put(implied).status_code == 201
    # member in turn implies reader; the domain role itself never shows.
    assert effective() == {role_ids["member"], role_ids["reader"]}
    user = {"id": account.user_id, "password": account.password}
    auth = {
        "identity": {"methods": ["password"], "password": {"user": user}},
        "scope": {"project": {"id": project["id"]}},
    }
    token = httpx.post(f"{cloud.auth_url}/auth/tokens", json={"auth": auth}, timeout=30)
    assert token.status_code == 201, token.text
    names = {r["name"] for r in token.json()["token"]["roles"]}
    assert "member" in names and domain_role["name"] not in names


def test_implication_rules_between_domain_and_global_roles(
    api: Api, role_ids: dict[str, str]
) -> None:
    domain = api.create("domain", name=unique("rd"))
    first = api.create("role", name=unique("d1"), domain_id=domain["id"])
    second = api.create("role", name=unique("d2"), domain_id=domain["id"])
    assert api.put(f"/roles/{first['id']}/implies/{second['id']}").status_code == 201
    assert api.put(f"/roles/{first['id']}/implies/{role_ids['reader']}").status_code == 201
    backwards = api.put(f"/roles/{role_ids['reader']}/implies/{first['id']}")
    assert error(backwards) == (403, "Global role cannot imply a domain-specific role.")


def test_application_credential_echoes_expiry_with_microseconds(cloud: CloudAccess) -> None:
    account = cloud.make_project_user("acexp")
    client = Api(cloud, cloud.project_token(account.user, account.password, account.project))
    # Stored as epoch seconds: exact to the microsecond for dates this century.
    expires = "2031-01-02T03:04:05.123456"
    try:
        resp = client.post(
            f"/users/{account.user_id}/application_credentials",
            {"application_credential": {"name": "exp", "expires_at": expires}},
        )
    finally:
        client.close()
    assert resp.status_code == 201, resp.text
    assert resp.json()["application_credential"]["expires_at"] == expires


def _rescope(cloud: CloudAccess, token: str) -> httpx.Response:
    auth: dict[str, Any] = {"identity": {"methods": ["token"], "token": {"id": token}}}
    return httpx.post(f"{cloud.auth_url}/auth/tokens", json={"auth": auth}, timeout=30)


def test_rescoping_a_revoked_token_is_not_found(cloud: CloudAccess, api: Api) -> None:
    account = cloud.make_project_user("rescope")
    token = cloud.issue_token(account.user, account.password, account.project)
    assert api.delete("/auth/tokens", headers={"X-Subject-Token": token}).status_code == 204
    resp = _rescope(cloud, token)
    assert error(resp)[0] == 404 and "Could not find token" in error(resp)[1]
    garbage = _rescope(cloud, "not-a-token")
    assert error(garbage)[0] == 401
