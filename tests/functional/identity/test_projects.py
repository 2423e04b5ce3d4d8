"""Projects over REST: CRUD, hierarchy, tags and tag filters, bad input."""

from __future__ import annotations

from tests.functional.identity.conftest import Api, error, unique


def test_project_crud_and_defaults(api: Api) -> None:
    name = unique("proj")
    project = api.create("project", name=name, description="d", flavour="extra")
    assert project["domain_id"] == "default"
    assert project["parent_id"] == "default"
    assert project["is_domain"] is False and project["enabled"] is True
    assert project["tags"] == [] and project["flavour"] == "extra"
    resp = api.patch(f"/projects/{project['id']}", {"project": {"enabled": False, "name": name}})
    assert resp.status_code == 200 and resp.json()["project"]["enabled"] is False
    assert api.get(f"/projects/{project['id']}").json()["project"]["enabled"] is False
    assert api.delete(f"/projects/{project['id']}").status_code == 204
    assert error(api.get(f"/projects/{project['id']}")) == (
        404,
        f"Could not find project: {project['id']}.",
    )


def test_duplicate_project_name_in_domain_is_409(api: Api) -> None:
    name = unique("proj")
    api.create("project", name=name)
    code, message = error(api.post("/projects", {"project": {"name": name}}))
    assert code == 409
    assert message.endswith(f"Duplicate entry found with name {name} at domain ID default.")


def test_hierarchy_and_leaf_rule(api: Api) -> None:
    parent = api.create("project", name=unique("parent"))
    child = api.create("project", name=unique("child"), parent_id=parent["id"])
    assert child["parent_id"] == parent["id"] and child["domain_id"] == "default"
    listed = api.get("/projects", params={"parent_id": parent["id"]}).json()["projects"]
    assert [p["id"] for p in listed] == [child["id"]]
    code, message = error(api.delete(f"/projects/{parent['id']}"))
    assert code == 403 and "not a leaf" in message
    moved = api.patch(f"/projects/{child['id']}", {"project": {"parent_id": "default"}})
    assert error(moved)[0] == 403
    unknown_parent = api.post("/projects", {"project": {"name": "x", "parent_id": "nope"}})
    assert error(unknown_parent) == (400, "Could not find project: nope.")


def test_list_filters(api: Api) -> None:
    tag = unique("t")
    a = api.create("project", name=unique("fa"), tags=[tag, "blue"])
    b = api.create("project", name=unique("fb"), tags=[tag], enabled=False)

    def ids(**params: str) -> set[str]:
        resp = api.get("/projects", params=params)
        assert resp.status_code == 200, resp.text
        return {p["id"] for p in resp.json()["projects"]}

    assert ids(tags=tag) == {a["id"], b["id"]}
    assert ids(tags=f"{tag},blue") == {a["id"]}
    assert ids(**{"tags-any": f"{tag},zzz"}) == {a["id"], b["id"]}
    assert ids(tags=tag, **{"not-tags": "blue"}) == {b["id"]}
    assert ids(tags=tag, **{"not-tags-any": "blue,zzz"}) == {b["id"]}
    assert ids(tags=tag, enabled="false") == {b["id"]}
    assert ids(name=a["name"]) == {a["id"]}
    assert ids(name=a["name"], domain_id="other") == set()
    assert "default" in ids(is_domain="true") and a["id"] not in ids(is_domain="true")
    assert error(api.get("/projects", params={"enabled": "maybe"}))[0] == 400


def test_project_tag_routes(api: Api) -> None:
    project = api.create("project", name=unique("tags"))
    base = f"/projects/{project['id']}/tags"
    assert api.put(f"{base}/red").status_code == 201
    assert api.get(f"{base}/red").status_code == 204
    assert error(api.get(f"{base}/green")) == (404, "Could not find project tag: green.")
    assert api.get(base).json() == {"tags": ["red"]}
    assert api.put(base, {"tags": ["a", "b"]}).json() == {"tags": ["a", "b"]}
    assert api.delete(f"{base}/a").status_code == 204
    assert api.get(base).json() == {"tags": ["b"]}
    assert api.delete(base).status_code == 204
    assert api.get(base).json() == {"tags": []}
    bad = api.put(base, {"tags": ["has/slash"]})
    assert error(bad)[0] == 400 and "tags" in error(bad)[1]
    too_many = api.put(base, {"tags": [f"t{i}" for i in range(81)]})
    assert error(too_many)[0] == 400


def test_bad_project_bodies(api: Api) -> None:
    assert error(api.post("/projects", {"project": {"name": ""}}))[0] == 400
    assert error(api.post("/projects", {"project": {"name": "x" * 65}}))[0] == 400
    nested_domain = {"name": "x", "is_domain": True, "parent_id": "default"}
    assert error(api.post("/projects", {"project": nested_domain}))[0] == 400
    wrong = api.post("/projects", {"project": {"name": "x", "tags": "red"}})
    assert error(wrong)[0] == 400 and "project.tags" in error(wrong)[1]
    assert error(api.post("/projects", [1, 2]))[0] == 400
    no_domain = api.post("/projects", {"project": {"name": "x", "domain_id": "nope"}})
    assert error(no_domain) == (400, "Could not find domain: nope.")


def test_user_projects_lists_direct_group_and_inherited(api: Api, role_ids: dict[str, str]) -> None:
    user = api.create("user", name=unique("up"), password="pw-123456")
    direct = api.create("project", name=unique("direct"))
    via_group = api.create("project", name=unique("group"))
    parent = api.create("project", name=unique("parent"))
    child = api.create("project", name=unique("child"), parent_id=parent["id"])
    member = role_ids["member"]
    api.put(f"/projects/{direct['id']}/users/{user['id']}/roles/{member}")
    group = api.create("group", name=unique("g"))
    api.put(f"/groups/{group['id']}/users/{user['id']}")
    api.put(f"/projects/{via_group['id']}/groups/{group['id']}/roles/{member}")
    inherit = f"/OS-INHERIT/projects/{parent['id']}/users/{user['id']}/roles/{member}"
    assert api.put(f"{inherit}/inherited_to_projects").status_code == 204
    listed = api.get(f"/users/{user['id']}/projects").json()["projects"]
    assert {p["id"] for p in listed} == {direct["id"], via_group["id"], child["id"]}
