"""Roles, implied roles, grants and /v3/role_assignments (direct and effective)."""

from __future__ import annotations

from typing import Any

from tests.functional.identity.conftest import Api, error, unique


def _assignments(api: Api, **params: Any) -> list[dict[str, Any]]:
    resp = api.get("/role_assignments", params=params)
    assert resp.status_code == 200, resp.text
    result: list[dict[str, Any]] = resp.json()["role_assignments"]
    return result


def _pairs(found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(role id, project or domain id) of each listed assignment."""
    out = set()
    for a in found:
        scope = a["scope"]
        target = (scope.get("project") or scope.get("domain") or {"id": "system"})["id"]
        out.add((a["role"]["id"], target))
    return out


def test_role_crud_and_duplicates(api: Api) -> None:
    name = unique("role")
    role = api.create("role", name=name, description="r")
    assert role["domain_id"] is None and role["options"] == {}
    listed = api.get("/roles", params={"name": name}).json()["roles"]
    assert [r["id"] for r in listed] == [role["id"]]
    assert error(api.post("/roles", {"role": {"name": name}}))[0] == 409
    resp = api.patch(f"/roles/{role['id']}", {"role": {"description": "s"}})
    assert resp.json()["role"]["description"] == "s"
    assert api.delete(f"/roles/{role['id']}").status_code == 204
    assert error(api.get(f"/roles/{role['id']}")) == (404, f"Could not find role: {role['id']}.")


def test_domain_specific_roles(api: Api) -> None:
    domain = api.create("domain", name=unique("rdom"))
    role = api.create("role", name="dsr", domain_id=domain["id"])
    assert role["domain_id"] == domain["id"]
    global_names = {r["name"] for r in api.get("/roles").json()["roles"]}
    assert "dsr" not in global_names
    scoped = api.get("/roles", params={"domain_id": domain["id"]}).json()["roles"]
    assert [r["id"] for r in scoped] == [role["id"]]
    user = api.create("user", name=unique("u"))
    project = api.create("project", name=unique("p"))  # in the default domain
    resp = api.put(f"/projects/{project['id']}/users/{user['id']}/roles/{role['id']}")
    assert error(resp)[0] == 403


def test_implied_roles(api: Api, role_ids: dict[str, str]) -> None:
    prior = api.create("role", name=unique("prior"))
    implied = api.create("role", name=unique("implied"))
    path = f"/roles/{prior['id']}/implies/{implied['id']}"
    assert error(api.get(path))[0] == 404
    created = api.put(path)
    assert created.status_code == 201
    inference = created.json()["role_inference"]
    assert inference["prior_role"]["id"] == prior["id"]
    assert inference["implies"]["name"] == implied["name"]
    assert api.get(path).status_code == 200
    assert api.head(path).status_code == 204
    listed = api.get(f"/roles/{prior['id']}/implies").json()["role_inference"]
    assert [r["id"] for r in listed["implies"]] == [implied["id"]]
    rules = api.get("/role_inferences").json()["role_inferences"]
    assert prior["id"] in {rule["prior_role"]["id"] for rule in rules}
    cycle = api.put(f"/roles/{implied['id']}/implies/{prior['id']}")
    assert error(cycle)[0] == 400 and "cycle" in error(cycle)[1]
    to_admin = api.put(f"/roles/{prior['id']}/implies/{role_ids['admin']}")
    assert error(to_admin) == (400, f"{role_ids['admin']} cannot be an implied role.")
    assert api.delete(path).status_code == 204
    assert error(api.delete(path))[0] == 404


def test_grant_lifecycle_on_project_domain_and_system(api: Api, role_ids: dict[str, str]) -> None:
    user = api.create("user", name=unique("g"))
    group = api.create("group", name=unique("g"))
    project = api.create("project", name=unique("p"))
    reader = role_ids["reader"]
    paths = [
        f"/projects/{project['id']}/users/{user['id']}/roles",
        f"/projects/{project['id']}/groups/{group['id']}/roles",
        f"/domains/default/users/{user['id']}/roles",
        f"/domains/default/groups/{group['id']}/roles",
        f"/system/users/{user['id']}/roles",
        f"/system/groups/{group['id']}/roles",
    ]
    for base in paths:
        one = f"{base}/{reader}"
        assert error(api.get(one))[0] == 404, base
        assert api.put(one).status_code == 204, base
        assert api.put(one).status_code == 204, base  # granting twice is harmless
        assert api.head(one).status_code == 204, base
        assert [r["id"] for r in api.get(base).json()["roles"]] == [reader], base
        assert api.delete(one).status_code == 204, base
        assert api.get(base).json()["roles"] == [], base
    unknown = api.put(f"/projects/{project['id']}/users/nope/roles/{reader}")
    assert error(unknown) == (404, "Could not find user: nope.")
    unknown_role = api.put(f"/projects/{project['id']}/users/{user['id']}/roles/nope")
    assert error(unknown_role) == (404, "Could not find role: nope.")


def test_effective_assignments_expand_groups_inheritance_and_implied(
    api: Api, role_ids: dict[str, str]
) -> None:
    user = api.create("user", name=unique("eff"))
    group = api.create("group", name=unique("eff"))
    api.put(f"/groups/{group['id']}/users/{user['id']}")
    domain = api.create("domain", name=unique("effdom"))
    p1 = api.create("project", name="p1", domain_id=domain["id"])
    p2 = api.create("project", name="p2", domain_id=domain["id"])
    prior = api.create("role", name=unique("boss"))
    api.put(f"/roles/{prior['id']}/implies/{role_ids['reader']}")
    api.put(f"/projects/{p1['id']}/groups/{group['id']}/roles/{prior['id']}")
    inherited = f"/OS-INHERIT/domains/{domain['id']}/users/{user['id']}/roles/{role_ids['member']}"
    assert api.put(f"{inherited}/inherited_to_projects").status_code == 204

    direct = _assignments(api, **{"user.id": user["id"]})
    assert len(direct) == 1 and direct[0]["scope"]["OS-INHERIT:inherited_to"] == "projects"
    effective = _assignments(api, **{"user.id": user["id"], "effective": ""})
    assert _pairs(effective) == {
        (prior["id"], p1["id"]),
        (role_ids["reader"], p1["id"]),
        (role_ids["member"], p1["id"]),
        (role_ids["member"], p2["id"]),
        (role_ids["reader"], p2["id"]),  # member implies reader
    }
    via_group = next(a for a in effective if a["role"]["id"] == prior["id"])
    assert via_group["user"]["id"] == user["id"]
    assert via_group["links"]["membership"].endswith(f"/groups/{group['id']}/users/{user['id']}")
    implied = next(a for a in effective if a["role"]["id"] == role_ids["reader"])
    assert "prior_role" in implied["links"]
    on_p2 = _assignments(api, **{"scope.project.id": p2["id"], "effective": "1"})
    assert _pairs(on_p2) == {(role_ids["member"], p2["id"]), (role_ids["reader"], p2["id"])}


def test_assignment_filters_names_and_subtree(api: Api, role_ids: dict[str, str]) -> None:
    user = api.create("user", name=unique("names"))
    parent = api.create("project", name=unique("par"))
    child = api.create("project", name=unique("chi"), parent_id=parent["id"])
    member = role_ids["member"]
    api.put(f"/projects/{parent['id']}/users/{user['id']}/roles/{member}")
    api.put(f"/projects/{child['id']}/users/{user['id']}/roles/{role_ids['reader']}")
    named = _assignments(api, **{"user.id": user["id"], "include_names": "1"})
    by_project = {a["scope"]["project"]["name"]: a for a in named}
    assert set(by_project) == {parent["name"], child["name"]}
    first = by_project[parent["name"]]
    assert first["role"]["name"] == "member"
    assert first["user"]["name"] == user["name"]
    assert first["user"]["domain"] == {"id": "default", "name": "Default"}
    assert first["scope"]["project"]["domain"]["id"] == "default"
    only_parent = _assignments(api, **{"scope.project.id": parent["id"], "user.id": user["id"]})
    assert _pairs(only_parent) == {(member, parent["id"])}
    tree = _assignments(
        api, **{"scope.project.id": parent["id"], "include_subtree": "1", "user.id": user["id"]}
    )
    assert _pairs(tree) == {(member, parent["id"]), (role_ids["reader"], child["id"])}
    by_role = _assignments(api, **{"role.id": role_ids["reader"], "user.id": user["id"]})
    assert _pairs(by_role) == {(role_ids["reader"], child["id"])}


def test_bad_assignment_queries(api: Api) -> None:
    both = api.get("/role_assignments", params={"user.id": "a", "group.id": "b"})
    assert error(both) == (400, "Specify a user or group, not both.")
    eff_group = api.get("/role_assignments", params={"group.id": "b", "effective": "1"})
    assert error(eff_group)[0] == 400
    subtree = api.get("/role_assignments", params={"include_subtree": "1"})
    assert error(subtree)[0] == 400
    scopes = api.get("/role_assignments", params={"scope.project.id": "a", "scope.domain.id": "b"})
    assert error(scopes)[0] == 400


def test_deleting_a_role_removes_its_grants(api: Api) -> None:
    role = api.create("role", name=unique("gone"))
    user = api.create("user", name=unique("gone"))
    api.put(f"/domains/default/users/{user['id']}/roles/{role['id']}")
    assert api.delete(f"/roles/{role['id']}").status_code == 204
    assert _assignments(api, **{"user.id": user["id"]}) == []
