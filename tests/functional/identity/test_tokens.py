"""Tokens over REST: issue, scopes, validate, revoke, tampering, expiry, bad input."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nimbostack.identity.tokens.formats import TokenPayload, new_audit_id, seal
from nimbostack.identity.tokens.keys import KeyRepository
from tests.support.cloud import CloudAccess


def _auth(user: str, password: str, scope: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            }
        }
    }
    if scope is not None:
        body["auth"]["scope"] = scope
    return body


def _post(cloud: CloudAccess, body: Any, **kw: Any) -> httpx.Response:
    return httpx.post(f"{cloud.auth_url}/auth/tokens", json=body, timeout=30, **kw)


def _validate(cloud: CloudAccess, token: str, subject: str | None = None) -> httpx.Response:
    headers = {"X-Auth-Token": token, "X-Subject-Token": subject or token}
    return httpx.get(f"{cloud.auth_url}/auth/tokens", headers=headers)


def test_project_scoped_token_has_roles_and_catalog(cloud: CloudAccess) -> None:
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    resp = _post(cloud, _auth("admin", cloud.password("admin"), scope))
    assert resp.status_code == 201
    assert resp.headers["X-Subject-Token"]
    assert resp.headers["X-Openstack-Request-Id"].startswith("req-")
    token = resp.json()["token"]
    assert token["methods"] == ["password"]
    assert token["project"]["name"] == "admin"
    assert {r["name"] for r in token["roles"]} >= {"admin", "member", "reader"}
    types = {svc["type"] for svc in token["catalog"]}
    assert "identity" in types
    assert token["expires_at"].endswith("Z")


def test_nocatalog_and_unscoped(cloud: CloudAccess) -> None:
    resp = httpx.post(
        f"{cloud.auth_url}/auth/tokens?nocatalog",
        json=_auth("admin", cloud.password("admin"), "unscoped"),
    )
    assert resp.status_code == 201
    body = resp.json()["token"]
    assert "catalog" not in body and "roles" not in body and "project" not in body


def test_system_and_domain_scope(cloud: CloudAccess) -> None:
    system = _post(cloud, _auth("admin", cloud.password("admin"), {"system": {"all": True}}))
    assert system.status_code == 201
    assert system.json()["token"]["system"] == {"all": True}
    demo = _post(cloud, _auth("demo", cloud.password("demo"), {"system": {"all": True}}))
    assert demo.status_code == 401


def test_default_project_scope_when_no_scope_given(cloud: CloudAccess) -> None:
    resp = _post(cloud, _auth("demo", cloud.password("demo")))
    assert resp.status_code == 201
    assert resp.json()["token"]["project"]["name"] == "demo"


def test_rescope_with_token_method_keeps_audit_chain(cloud: CloudAccess) -> None:
    first = _post(cloud, _auth("admin", cloud.password("admin"), "unscoped"))
    token = first.headers["X-Subject-Token"]
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": token}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    second = _post(cloud, body)
    assert second.status_code == 201
    t2 = second.json()["token"]
    assert t2["audit_ids"][1] == first.json()["token"]["audit_ids"][0]
    assert t2["expires_at"] == first.json()["token"]["expires_at"]


def test_wrong_password_and_unknown_user_look_the_same(cloud: CloudAccess) -> None:
    wrong = _post(cloud, _auth("admin", "not-the-password"))
    unknown = _post(cloud, _auth("no-such-user", "whatever"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["title"] == "Unauthorized"
    assert "WWW-Authenticate" in wrong.headers


def test_scope_without_roles_is_refused(cloud: CloudAccess) -> None:
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    assert _post(cloud, _auth("demo", cloud.password("demo"), scope)).status_code == 401


def test_validate_check_and_revoke(cloud: CloudAccess) -> None:
    admin = cloud.admin_token()
    token = cloud.issue_token("demo", cloud.password("demo"), "demo")
    assert _validate(cloud, admin, token).status_code == 200
    head = httpx.head(
        f"{cloud.auth_url}/auth/tokens", headers={"X-Auth-Token": admin, "X-Subject-Token": token}
    )
    assert head.status_code == 200
    gone = httpx.delete(
        f"{cloud.auth_url}/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token}
    )
    assert gone.status_code == 204
    assert _validate(cloud, admin, token).status_code == 404
    refused = httpx.get(f"{cloud.auth_url}/auth/catalog", headers={"X-Auth-Token": token})
    assert refused.status_code == 401


def test_user_cannot_validate_someone_elses_token(cloud: CloudAccess) -> None:
    demo = cloud.issue_token("demo", cloud.password("demo"), "demo")
    admin = cloud.admin_token()
    assert _validate(cloud, demo, admin).status_code == 403


def test_tampered_token_is_refused(cloud: CloudAccess) -> None:
    token = cloud.issue_token("demo", cloud.password("demo"), "demo")
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    resp = httpx.get(f"{cloud.auth_url}/auth/catalog", headers={"X-Auth-Token": tampered})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == 401


def _forge(cloud: CloudAccess, **fields: Any) -> str:
    keys = KeyRepository(Path(cloud.data_dir) / "identity" / "fernet-keys").load()
    admin_id = httpx.get(
        f"{cloud.auth_url}/auth/tokens",
        headers={"X-Auth-Token": cloud.admin_token(), "X-Subject-Token": cloud.admin_token()},
    ).json()["token"]["user"]["id"]
    now = time.time()
    base: dict[str, Any] = {
        "user_id": admin_id,
        "methods": ("password",),
        "expires_at": now + 60,
        "issued_at": now,
        "audit_ids": (new_audit_id(),),
    }
    base.update(fields)
    return seal(TokenPayload(**base), keys)


def test_expired_token_is_refused(cloud: CloudAccess) -> None:
    live = _forge(cloud)
    ok = httpx.get(f"{cloud.auth_url}/auth/projects", headers={"X-Auth-Token": live})
    assert ok.status_code == 200
    expired = _forge(cloud, expires_at=time.time() - 1, issued_at=time.time() - 100)
    resp = httpx.get(f"{cloud.auth_url}/auth/projects", headers={"X-Auth-Token": expired})
    assert resp.status_code == 401


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"{not json", "Malformed JSON"),
        (b'{"auth": {}}', "identity"),
        (b'{"auth": {"identity": {"methods": "password"}}}', "methods"),
        (
            b'{"auth": {"identity": {"methods": ["password"], "password": {"user": '
            b'{"name": "' + b"x" * 300 + b'", "password": "p"}}}}}',
            "name",
        ),
    ],
)
def test_bad_auth_bodies_are_400_naming_the_field(
    cloud: CloudAccess, raw: bytes, needle: str
) -> None:
    resp = httpx.post(
        f"{cloud.auth_url}/auth/tokens", content=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert needle in resp.json()["error"]["message"]


def test_auth_endpoints(cloud: CloudAccess) -> None:
    headers = {"X-Auth-Token": cloud.admin_token()}
    projects = httpx.get(f"{cloud.auth_url}/auth/projects", headers=headers).json()["projects"]
    assert "admin" in {p["name"] for p in projects}
    domains = httpx.get(f"{cloud.auth_url}/auth/domains", headers=headers).json()["domains"]
    assert isinstance(domains, list)
    system = httpx.get(f"{cloud.auth_url}/auth/system", headers=headers).json()
    assert system["system"] == [{"all": True}]
    catalog = httpx.get(f"{cloud.auth_url}/auth/catalog", headers=headers).json()
    assert any(s["type"] == "identity" for s in catalog["catalog"])


def test_version_discovery(cloud: CloudAccess) -> None:
    root = httpx.get(cloud.url("identity") + "/")
    assert root.status_code == 300
    assert root.json()["versions"]["values"][0]["id"].startswith("v3")
    v3 = httpx.get(cloud.auth_url)
    assert v3.status_code == 200 and v3.json()["version"]["status"] == "stable"


def test_unknown_path_and_method_use_the_error_body(cloud: CloudAccess) -> None:
    missing = httpx.get(f"{cloud.auth_url}/no-such-thing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
    wrong = httpx.patch(f"{cloud.auth_url}/auth/tokens")
    assert wrong.status_code == 405
