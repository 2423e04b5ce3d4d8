"""Identity resources driven by the unmodified openstack CLI against `nimbostack up`."""

from __future__ import annotations

import uuid

import pytest

from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_role_assignment_list_with_names(cloud: RunningCloud) -> None:
    user, project, group = unique("cliu"), unique("clip"), unique("clig")
    cloud.cli("project", "create", project)
    cloud.cli("user", "create", "--password", "pw-123456", "--email", "x@y.z", user)
    cloud.cli("group", "create", group)
    cloud.cli_raw("group", "add", "user", group, user)
    cloud.cli_raw("role", "add", "--user", user, "--project", project, "member")
    cloud.cli_raw("role", "add", "--group", group, "--project", project, "reader")
    rows = cloud.cli("role", "assignment", "list", "--names", "--project", project)
    seen = {(r["Role"], r["User"], r["Group"]) for r in rows}
    assert ("member", f"{user}@Default", "") in seen
    assert ("reader", "", f"{group}@Default") in seen
    effective = cloud.cli("role", "assignment", "list", "--names", "--effective", "--user", user)
    assert {(r["Role"], r["Project"]) for r in effective} >= {
        ("member", f"{project}@Default"),
        ("reader", f"{project}@Default"),
    }
    assert user in {u["Name"] for u in cloud.cli("user", "list", "--group", group)}
    cloud.cli_raw("role", "remove", "--user", user, "--project", project, "member")
    rows = cloud.cli("role", "assignment", "list", "--names", "--user", user)
    assert rows == []


def test_role_implication_and_domain_cli(cloud: RunningCloud) -> None:
    prior, implied = unique("prior"), unique("implied")
    cloud.cli("role", "create", prior)
    cloud.cli("role", "create", implied)
    cloud.cli("implied", "role", "create", prior, "--implied-role", implied)
    rules = cloud.cli("implied", "role", "list")
    assert (prior, implied) in {(r["Prior Role Name"], r["Implied Role Name"]) for r in rules}
    domain = unique("clid")
    cloud.cli("domain", "create", domain)
    cloud.cli_raw("domain", "set", "--disable", domain)
    cloud.cli_raw("domain", "delete", domain)
    assert domain not in {d["Name"] for d in cloud.cli("domain", "list")}


def test_catalog_and_app_credential_cli(cloud: RunningCloud) -> None:
    region, kind = unique("clir"), unique("clitype")
    cloud.cli("region", "create", region)
    service = cloud.cli("service", "create", "--name", kind, kind)
    cloud.cli("endpoint", "create", "--region", region, kind, "public", "http://svc.test/")
    listed = cloud.cli("endpoint", "list", "--service", service["id"])
    assert [(e["Interface"], e["Region"]) for e in listed] == [("public", region)]
    name = unique("clicred")
    cred = cloud.cli("application", "credential", "create", name)
    assert cred["Secret"] and cred["Name"] == name
    assert name in {c["Name"] for c in cloud.cli("application", "credential", "list")}
    cloud.cli_raw("application", "credential", "delete", name)
    assert name not in {c["Name"] for c in cloud.cli("application", "credential", "list")}
