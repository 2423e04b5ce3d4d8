"""Domain configuration storage, projects acting as domains, domain name limits."""

from __future__ import annotations

from typing import Any

from tests.functional.identity.conftest import Api, error, unique

LDAP = {
    "identity": {"driver": "ldap"},
    "ldap": {"url": "ldap://ldap.test:389/", "user_tree_dn": "ou=Users,dc=test"},
}


def _domain(api: Api) -> dict[str, Any]:
    return api.create("domain", name=unique("cfg"))


def test_domain_config_whole_group_and_option(api: Api) -> None:
    domain = _domain(api)
    path = f"/domains/{domain['id']}/config"
    made = api.put(path, {"config": LDAP})
    assert made.status_code == 201 and made.json()["config"] == LDAP
    assert api.put(path, {"config": LDAP}).status_code == 200
    assert api.get(f"{path}/ldap").json()["config"] == {"ldap": LDAP["ldap"]}
    assert api.get(f"{path}/ldap/url").json()["config"] == {"url": LDAP["ldap"]["url"]}
    group = api.patch(f"{path}/identity", {"config": {"identity": {"list_limit": 5}}})
    assert group.json()["config"]["identity"] == {"driver": "ldap", "list_limit": 5}
    option = api.patch(f"{path}/identity/driver", {"config": {"driver": "sql"}})
    assert option.json()["config"]["identity"]["driver"] == "sql"
    assert api.delete(f"{path}/identity/driver").status_code == 204
    assert error(api.get(f"{path}/identity/driver")) == (
        404,
        f"Could not find domain config option identity.driver for domain: {domain['id']}.",
    )
    assert api.delete(f"{path}/identity").status_code == 204
    assert api.get(path).json()["config"] == {"ldap": LDAP["ldap"]}
    assert api.delete(path).status_code == 204
    assert error(api.get(path)) == (
        404,
        f"Could not find domain config for domain: {domain['id']}.",
    )


def test_bad_domain_config(api: Api) -> None:
    domain = _domain(api)
    path = f"/domains/{domain['id']}/config"
    wrong_group = api.put(path, {"config": {"assignment": {"driver": "x"}}})
    assert error(wrong_group) == (
        403,
        "Invalid domain specific configuration: group assignment is not supported.",
    )
    wrong_option = api.put(path, {"config": {"ldap": {"colour": "red"}}})
    assert error(wrong_option)[0] == 403 and "option colour" in error(wrong_option)[1]
    assert error(api.put(path, {"config": {}}))[0] == 400
    assert error(api.put(path, {"settings": LDAP}))[0] == 400
    assert error(api.patch(path, {"config": LDAP}))[0] == 404
    api.put(path, {"config": LDAP})
    mismatch = api.patch(f"{path}/ldap", {"config": {"identity": {"driver": "x"}}})
    assert error(mismatch) == (
        400,
        "Invalid domain config: the body must hold only group ldap.",
    )
    assert error(api.put("/domains/nope/config", {"config": LDAP})) == (
        404,
        "Could not find domain: nope.",
    )


def test_sensitive_options_are_never_returned(api: Api) -> None:
    domain = _domain(api)
    path = f"/domains/{domain['id']}/config"
    body = {"ldap": {"url": "ldap://x.test", "password": "hunter2"}}
    made = api.put(path, {"config": body})
    assert made.json()["config"] == {"ldap": {"url": "ldap://x.test"}}
    assert "hunter2" not in api.get(path).text


def test_domain_config_defaults(api: Api) -> None:
    defaults = api.get("/domains/config/default").json()["config"]
    assert set(defaults) == {"identity", "ldap"} and "password" not in defaults["ldap"]
    assert api.get("/domains/config/identity/default").json()["config"]["identity"]["driver"]
    assert "url" in api.get("/domains/config/ldap/url/default").json()["config"]
    assert error(api.get("/domains/config/nope/default")) == (
        404,
        "Could not find domain config default: nope.",
    )


def test_project_acting_as_domain(api: Api) -> None:
    name = unique("isdom")
    made = api.post("/projects", {"project": {"name": name, "domain_id": None, "is_domain": True}})
    assert made.status_code == 201, made.text
    project = made.json()["project"]
    assert project["is_domain"] is True and project["domain_id"] is None
    as_projects = api.get("/projects", params={"is_domain": "true"}).json()["projects"]
    assert project["id"] in [p["id"] for p in as_projects]
    assert project["id"] in [d["id"] for d in api.get("/domains").json()["domains"]]
    assert project["id"] not in [p["id"] for p in api.get("/projects").json()["projects"]]
    assert api.get(f"/projects/{project['id']}").json()["project"]["name"] == name
    enabled = api.delete(f"/projects/{project['id']}")
    assert error(enabled)[0] == 403 and "disable it first" in error(enabled)[1]
    flip = api.patch(f"/projects/{project['id']}", {"project": {"is_domain": False}})
    assert error(flip) == (400, "Update of `is_domain` is not allowed.")
    api.patch(f"/projects/{project['id']}", {"project": {"enabled": False}})
    assert api.get(f"/domains/{project['id']}").json()["domain"]["enabled"] is False
    assert api.delete(f"/projects/{project['id']}").status_code == 204
    assert error(api.get(f"/domains/{project['id']}"))[0] == 404
    nested = {"name": unique("x"), "parent_id": "default", "is_domain": True}
    assert error(api.post("/projects", {"project": nested})) == (
        400,
        "A project acting as a domain has no domain_id and no parent_id.",
    )


def test_domain_names_are_at_most_64_characters(api: Api) -> None:
    resp = api.post("/domains", {"domain": {"name": "d" * 65}})
    assert error(resp)[0] == 400 and "domain.name" in error(resp)[1]
    assert api.post("/domains", {"domain": {"name": unique("d").ljust(64, "x")}}).status_code == 201
