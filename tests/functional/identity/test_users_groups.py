"""Users, passwords, groups and membership over REST."""

from __future__ import annotations

import httpx

from tests.functional.identity.conftest import Api, error, unique
from tests.support.cloud import CloudAccess


def _token_status(cloud: CloudAccess, name: str, password: str) -> int:
    auth = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": name, "domain": {"id": "default"}, "password": password}},
        }
    }
    return httpx.post(f"{cloud.auth_url}/auth/tokens", json={"auth": auth}).status_code


def test_user_crud_never_returns_password(api: Api) -> None:
    name = unique("user")
    user = api.create("user", name=name, password="pw-123456", email="a@b.c", team="blue")
    assert "password" not in user
    assert user["domain_id"] == "default" and user["enabled"] is True
    assert user["email"] == "a@b.c" and user["team"] == "blue"
    assert "password_expires_at" in user and user["options"] == {}
    resp = api.patch(f"/users/{user['id']}", {"user": {"description": "hi", "enabled": False}})
    assert resp.status_code == 200
    shown = api.get(f"/users/{user['id']}").json()["user"]
    assert shown["description"] == "hi" and shown["enabled"] is False
    assert "password" not in shown
    listed = api.get("/users", params={"name": name}).json()["users"]
    assert [u["id"] for u in listed] == [user["id"]]
    assert api.get("/users", params={"name": name, "enabled": "true"}).json()["users"] == []
    assert api.delete(f"/users/{user['id']}").status_code == 204
    assert error(api.get(f"/users/{user['id']}")) == (404, f"Could not find user: {user['id']}.")


def test_duplicate_user_and_bad_bodies(api: Api) -> None:
    name = unique("dup")
    api.create("user", name=name)
    code, message = error(api.post("/users", {"user": {"name": name}}))
    assert code == 409 and message == (
        "Conflict occurred attempting to store user - Duplicate entry found with name "
        f"{name} at domain ID default."
    )
    assert error(api.post("/users", {"user": {"name": "x" * 256}}))[0] == 400
    bad_option = api.post("/users", {"user": {"name": "x", "options": {"nope": True}}})
    assert error(bad_option)[0] == 400
    assert error(api.post("/users", {"user": {"name": "x", "enabled": 1}}))[0] == 400
    no_domain = api.post("/users", {"user": {"name": "x", "domain_id": "nope"}})
    assert error(no_domain) == (404, "Could not find domain: nope.")


def test_self_service_password_change(cloud: CloudAccess, api: Api, anon: Api) -> None:
    name = unique("pw")
    user = api.create("user", name=name, password="old-pass-1")
    path = f"/users/{user['id']}/password"
    wrong = anon.post(path, {"user": {"password": "new-pass-1", "original_password": "bad"}})
    assert error(wrong)[0] == 401
    missing = anon.post(path, {"user": {"password": "new-pass-1"}})
    assert error(missing)[0] == 400
    ok = anon.post(path, {"user": {"password": "new-pass-1", "original_password": "old-pass-1"}})
    assert ok.status_code == 204
    assert _token_status(cloud, name, "new-pass-1") == 201
    assert _token_status(cloud, name, "old-pass-1") == 401


def test_admin_password_reset(cloud: CloudAccess, api: Api) -> None:
    name = unique("reset")
    user = api.create("user", name=name, password="first-pass")
    resp = api.patch(f"/users/{user['id']}", {"user": {"password": "second-pass"}})
    assert resp.status_code == 200 and "password" not in resp.json()["user"]
    assert _token_status(cloud, name, "second-pass") == 201
    assert _token_status(cloud, name, "first-pass") == 401


def test_password_expires_at_filter(api: Api) -> None:
    name = unique("exp")
    api.create("user", name=name, password="pw-123456")
    listed = api.get(
        "/users", params={"name": name, "password_expires_at": "lt:2999-01-01T00:00:00Z"}
    )
    assert listed.json()["users"] == []  # the password never expires
    bad = api.get("/users", params={"password_expires_at": "lt:notadate"})
    assert error(bad)[0] == 400


def test_groups_and_membership(api: Api) -> None:
    group = api.create("group", name=unique("grp"), description="team")
    user = api.create("user", name=unique("gu"))
    member = f"/groups/{group['id']}/users/{user['id']}"
    assert error(api.get(member))[0] == 404
    assert api.head(member).status_code == 404
    assert api.put(member).status_code == 204
    assert api.head(member).status_code == 204
    users = api.get(f"/groups/{group['id']}/users").json()["users"]
    assert [u["id"] for u in users] == [user["id"]]
    groups = api.get(f"/users/{user['id']}/groups").json()["groups"]
    assert [g["id"] for g in groups] == [group["id"]]
    assert api.delete(member).status_code == 204
    assert error(api.delete(member))[0] == 404
    assert error(api.put(f"/groups/{group['id']}/users/nope")) == (
        404,
        "Could not find user: nope.",
    )
    resp = api.patch(f"/groups/{group['id']}", {"group": {"name": "renamed-" + group["id"]}})
    assert resp.status_code == 200
    assert api.delete(f"/groups/{group['id']}").status_code == 204
    assert error(api.get(f"/groups/{group['id']}"))[0] == 404


def test_duplicate_group_is_409(api: Api) -> None:
    name = unique("grp")
    api.create("group", name=name)
    assert error(api.post("/groups", {"group": {"name": name}}))[0] == 409
