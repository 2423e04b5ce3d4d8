"""Identity acceptance with the unmodified openstack CLI against a running `nimbostack up`."""

from __future__ import annotations

import uuid

import pytest

from tests.support.cloud import Account, RunningCloud

pytestmark = pytest.mark.cli


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_token_issue_catalog_and_endpoints(cloud: RunningCloud) -> None:
    token = cloud.cli("token", "issue")
    assert token["id"] and token["project_id"] and token["user_id"]
    catalog = cloud.cli("catalog", "list")
    assert "identity" in {entry["Type"] for entry in catalog}
    endpoints = cloud.cli("endpoint", "list")
    interfaces = {e["Interface"] for e in endpoints if e["Service Type"] == "identity"}
    assert interfaces == {"public", "internal", "admin"}


def test_project_lifecycle(cloud: RunningCloud) -> None:
    name = _name("proj")
    created = cloud.cli("project", "create", "--description", "first", name)
    assert created["name"] == name and created["enabled"] is True
    assert name in {p["Name"] for p in cloud.cli("project", "list")}
    cloud.cli_raw("project", "set", "--description", "second", "--disable", name)
    shown = cloud.cli("project", "show", name)
    assert shown["description"] == "second" and shown["enabled"] is False
    cloud.cli_raw("project", "delete", name)
    missing = cloud.cli_raw("project", "show", name, check=False)
    assert missing.returncode != 0


def test_users_roles_groups_and_passwords(cloud: RunningCloud) -> None:
    project = _name("team")
    user = _name("alice")
    cloud.cli("project", "create", project)
    created = cloud.cli("user", "create", "--password", "first-pass", "--project", project, user)
    assert created["name"] == user
    cloud.cli_raw("role", "add", "--user", user, "--project", project, "member")
    rows = cloud.cli("role", "assignment", "list", "--names", "--user", user)
    assert any(r["Role"] == "member" and r["Project"].startswith(project) for r in rows)
    alice = Account(user, "first-pass", project)
    assert cloud.cli("token", "issue", account=alice)["user_id"] == created["id"]
    # An admin resets the password; the old one stops working.
    cloud.cli_raw("user", "set", "--password", "second-pass", user)
    assert cloud.cli_raw("token", "issue", account=alice, check=False).returncode != 0
    alice = Account(user, "second-pass", project)
    # The user changes their own password.
    cloud.cli_raw(
        "user",
        "password",
        "set",
        "--original-password",
        "second-pass",
        "--password",
        "third-pass",
        account=alice,
    )
    alice = Account(user, "third-pass", project)
    assert cloud.cli("token", "issue", account=alice)["project_id"]
    group = _name("ops")
    cloud.cli("group", "create", group)
    cloud.cli_raw("group", "add", "user", group, user)
    members = cloud.cli("user", "list", "--group", group)
    assert [m["Name"] for m in members] == [user]


def test_application_credential_token(cloud: RunningCloud) -> None:
    created = cloud.cli("application", "credential", "create", _name("app"))
    cred = {key.lower(): value for key, value in created.items()}
    assert cred["secret"]
    result = cloud.cli_raw(
        "--os-auth-type",
        "v3applicationcredential",
        "--os-application-credential-id",
        cred["id"],
        "--os-application-credential-secret",
        cred["secret"],
        "token",
        "issue",
        "-f",
        "json",
        cloud="",
        account=None,
    )
    assert '"project_id"' in result.stdout


def test_token_revoke(cloud: RunningCloud) -> None:
    token = cloud.cli("token", "issue")["id"]
    cloud.cli_raw("token", "revoke", token)
    refused = cloud.cli_raw(
        "--os-auth-type",
        "token",
        "--os-token",
        token,
        "--os-project-name",
        "admin",
        "--os-project-domain-name",
        "Default",
        "project",
        "list",
        cloud="",
        check=False,
    )
    assert refused.returncode != 0


def test_member_is_isolated(cloud: RunningCloud) -> None:
    a = cloud.make_project_user("iso-a")
    b = cloud.make_project_user("iso-b")
    assert cloud.cli_raw("user", "list", account=a, check=False).returncode != 0
    assert cloud.cli_raw("project", "show", b.project_id, account=a, check=False).returncode != 0
    # The server answers 403 (the CLI does not always turn that into an exit code), so
    # check as the admin that no role was granted.
    cloud.cli_raw(
        "role", "add", "--user", a.user, "--project", b.project, "member", account=a, check=False
    )
    on_b = cloud.cli("role", "assignment", "list", "--project", b.project_id)
    assert a.user_id not in {row["User"] for row in on_b}
    own = cloud.cli("project", "show", a.project_id, account=a)
    assert own["id"] == a.project_id
