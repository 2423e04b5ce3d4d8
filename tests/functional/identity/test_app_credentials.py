"""Application credentials over REST, and authenticating with one."""

from __future__ import annotations

from typing import Any

import httpx

from tests.functional.identity.conftest import Api, MakeApi, error, unique
from tests.support.cloud import CloudAccess


def _auth_with(cloud: CloudAccess, cred_id: str, secret: str) -> httpx.Response:
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["application_credential"],
            "application_credential": {"id": cred_id, "secret": secret},
        }
    }
    return httpx.post(f"{cloud.auth_url}/auth/tokens", json={"auth": auth})


def _owner(cloud: CloudAccess, make_api: MakeApi) -> tuple[Api, str]:
    account = cloud.make_project_user("acred")
    client = make_api(cloud.project_token(account.user, account.password, account.project))
    return client, account.user_id


def test_create_list_show_delete(cloud: CloudAccess, make_api: MakeApi) -> None:
    client, user_id = _owner(cloud, make_api)
    base = f"/users/{user_id}/application_credentials"
    resp = client.post(base, {"application_credential": {"name": "ci"}})
    assert resp.status_code == 201, resp.text
    cred = resp.json()["application_credential"]
    assert cred["secret"] and cred["unrestricted"] is False
    assert {r["name"] for r in cred["roles"]} >= {"member", "reader"}
    shown = client.get(f"{base}/{cred['id']}").json()["application_credential"]
    assert "secret" not in shown and shown["project_id"] == cred["project_id"]
    assert [c["id"] for c in client.get(base).json()["application_credentials"]] == [cred["id"]]
    token = _auth_with(cloud, cred["id"], cred["secret"])
    assert token.status_code == 201, token.text
    assert _auth_with(cloud, cred["id"], "wrong").status_code == 401
    assert client.delete(f"{base}/{cred['id']}").status_code == 204
    assert error(client.get(f"{base}/{cred['id']}"))[0] == 404
    assert _auth_with(cloud, cred["id"], cred["secret"]).status_code == 401


def test_given_secret_and_role_subset(cloud: CloudAccess, make_api: MakeApi) -> None:
    client, user_id = _owner(cloud, make_api)
    base = f"/users/{user_id}/application_credentials"
    body = {"name": "ro", "secret": "my-secret", "roles": [{"name": "reader"}]}
    cred = client.post(base, {"application_credential": body}).json()["application_credential"]
    assert cred["secret"] == "my-secret"
    assert [r["name"] for r in cred["roles"]] == ["reader"]
    token = _auth_with(cloud, cred["id"], "my-secret")
    assert [r["name"] for r in token.json()["token"]["roles"]] == ["reader"]


def test_bad_application_credentials(cloud: CloudAccess, make_api: MakeApi) -> None:
    client, user_id = _owner(cloud, make_api)
    base = f"/users/{user_id}/application_credentials"
    client.post(base, {"application_credential": {"name": "dup"}})
    dup = client.post(base, {"application_credential": {"name": "dup"}})
    assert error(dup)[0] == 409
    admin_role = {"name": "x", "roles": [{"name": "admin"}]}
    not_held = client.post(base, {"application_credential": admin_role})
    assert error(not_held) == (
        400,
        "Invalid application credential: Cannot create an application credential with "
        "unassigned role",
    )
    past = {"name": "old", "expires_at": "2000-01-01T00:00:00Z"}
    assert error(client.post(base, {"application_credential": past}))[0] == 400
    junk = {"name": "j", "expires_at": "soon"}
    assert error(client.post(base, {"application_credential": junk}))[0] == 400
    extra = {"name": "e", "colour": "red"}
    assert error(client.post(base, {"application_credential": extra}))[0] == 400


def test_cannot_create_for_another_user(cloud: CloudAccess, api: Api, make_api: MakeApi) -> None:
    client, _ = _owner(cloud, make_api)
    other = api.create("user", name=unique("other"))
    resp = client.post(
        f"/users/{other['id']}/application_credentials",
        {"application_credential": {"name": "steal"}},
    )
    assert error(resp)[0] == 403
