"""Domains over REST: CRUD, uniqueness, the delete rules, bad input."""

from __future__ import annotations

from tests.functional.identity.conftest import Api, error, unique


def test_domain_crud(api: Api) -> None:
    name = unique("dom")
    domain = api.create("domain", name=name, description="first")
    assert domain["enabled"] is True and domain["description"] == "first"
    assert domain["links"]["self"].endswith(f"/v3/domains/{domain['id']}")
    shown = api.get(f"/domains/{domain['id']}").json()["domain"]
    assert shown["name"] == name
    listed = api.get("/domains", params={"name": name}).json()["domains"]
    assert [d["id"] for d in listed] == [domain["id"]]
    resp = api.patch(f"/domains/{domain['id']}", {"domain": {"enabled": False}})
    assert resp.status_code == 200 and resp.json()["domain"]["enabled"] is False
    disabled = api.get("/domains", params={"enabled": "false"}).json()["domains"]
    assert domain["id"] in {d["id"] for d in disabled}
    assert api.delete(f"/domains/{domain['id']}").status_code == 204
    assert api.get(f"/domains/{domain['id']}").status_code == 404


def test_duplicate_domain_name_is_409(api: Api) -> None:
    name = unique("dom")
    api.create("domain", name=name)
    resp = api.post("/domains", {"domain": {"name": name}})
    assert error(resp) == (
        409,
        f"Conflict occurred attempting to store domain - Duplicate entry found with name {name}.",
    )


def test_enabled_domain_cannot_be_deleted(api: Api) -> None:
    domain = api.create("domain", name=unique("dom"))
    code, message = error(api.delete(f"/domains/{domain['id']}"))
    assert code == 403 and "disable it first" in message


def test_default_domain_cannot_be_deleted_or_disabled(api: Api) -> None:
    assert error(api.delete("/domains/default"))[0] == 403
    resp = api.patch("/domains/default", {"domain": {"enabled": False}})
    assert error(resp)[0] == 400
    assert api.get("/domains/default").json()["domain"]["enabled"] is True


def test_deleting_a_domain_removes_its_projects_and_users(api: Api) -> None:
    domain = api.create("domain", name=unique("dom"))
    project = api.create("project", name="p", domain_id=domain["id"])
    user = api.create("user", name="u", domain_id=domain["id"], password="secret-pw-1")
    api.patch(f"/domains/{domain['id']}", {"domain": {"enabled": False}})
    assert api.delete(f"/domains/{domain['id']}").status_code == 204
    assert api.get(f"/projects/{project['id']}").status_code == 404
    assert api.get(f"/users/{user['id']}").status_code == 404


def test_unknown_domain_is_404(api: Api) -> None:
    assert error(api.get("/domains/nope")) == (404, "Could not find domain: nope.")
    resp = api.patch("/domains/nope", {"domain": {"description": "x"}})
    assert error(resp) == (404, "Could not find domain: nope.")


def test_bad_domain_bodies_are_400(api: Api) -> None:
    long_name = api.post("/domains", {"domain": {"name": "x" * 256}})
    code, message = error(long_name)
    assert code == 400 and "domain.name" in message
    wrong_type = api.post("/domains", {"domain": {"name": "ok", "enabled": "yes"}})
    assert error(wrong_type)[0] == 400 and "domain.enabled" in error(wrong_type)[1]
    missing = api.post("/domains", {"domain": {}})
    assert error(missing)[0] == 400 and "domain.name" in error(missing)[1]
    malformed = api.call(
        "POST", "/domains", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert error(malformed)[0] == 400 and "Malformed JSON" in error(malformed)[1]
    unknown = api.post("/domains", {"domain": {"name": "ok", "colour": "red"}})
    assert error(unknown)[0] == 400
