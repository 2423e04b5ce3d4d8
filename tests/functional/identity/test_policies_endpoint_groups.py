"""Legacy policy blobs, endpoint groups, OAuth1 consumers, and endpoint region rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.identity.conftest import Api, error, unique
from tests.support.cloud import CloudAccess


@pytest.fixture
def member(cloud: CloudAccess) -> Iterator[Api]:
    account = cloud.make_project_user("pol")
    client = Api(cloud, cloud.project_token(account.user, account.password, account.project))
    yield client
    client.close()


def test_policy_crud(api: Api) -> None:
    made = api.post("/policies", {"policy": {"blob": '{"x": "rule:y"}', "type": "text/json"}})
    assert made.status_code == 201, made.text
    policy = made.json()["policy"]
    assert policy["links"]["self"].endswith(f"/v3/policies/{policy['id']}")
    patched = api.patch(f"/policies/{policy['id']}", {"policy": {"type": "text/plain"}})
    assert patched.json()["policy"]["type"] == "text/plain"
    shown = api.get(f"/policies/{policy['id']}").json()["policy"]
    assert shown["blob"] == '{"x": "rule:y"}'
    listed = api.get("/policies", params={"type": "text/plain"}).json()["policies"]
    assert policy["id"] in [p["id"] for p in listed]
    assert api.delete(f"/policies/{policy['id']}").status_code == 204
    assert error(api.get(f"/policies/{policy['id']}")) == (
        404,
        f"Could not find policy: {policy['id']}.",
    )
    no_type = api.post("/policies", {"policy": {"blob": "{}"}})
    assert error(no_type)[0] == 400 and "type" in error(no_type)[1]


def test_policies_are_for_admins(member: Api) -> None:
    denied = member.post("/policies", {"policy": {"blob": "{}", "type": "t"}})
    assert error(denied) == (
        403,
        "You are not authorized to perform the requested action: identity:create_policy.",
    )


def test_endpoint_group_crud_and_projects(api: Api) -> None:
    service = api.create("service", type=unique("t"))
    endpoint = api.create(
        "endpoint", service_id=service["id"], interface="public", url="http://eg.test/"
    )
    body = {"name": "eg", "description": "d", "filters": {"service_id": service["id"]}}
    made = api.post("/OS-EP-FILTER/endpoint_groups", {"endpoint_group": body})
    assert made.status_code == 201, made.text
    group = made.json()["endpoint_group"]
    path = f"/OS-EP-FILTER/endpoint_groups/{group['id']}"
    assert group in api.get("/OS-EP-FILTER/endpoint_groups").json()["endpoint_groups"]
    assert api.head(path).status_code == 200
    members = api.get(f"{path}/endpoints").json()["endpoints"]
    assert [e["id"] for e in members] == [endpoint["id"]]
    project = api.create("project", name=unique("egp"))
    assert api.put(f"{path}/projects/{project['id']}").status_code == 204
    assert api.get(f"{path}/projects/{project['id']}").json()["project"]["id"] == project["id"]
    linked = api.get(f"{path}/projects").json()["projects"]
    assert [p["id"] for p in linked] == [project["id"]]
    of_project = api.get(f"/OS-EP-FILTER/projects/{project['id']}/endpoint_groups").json()
    assert [g["id"] for g in of_project["endpoint_groups"]] == [group["id"]]
    renamed = api.patch(path, {"endpoint_group": {"name": "eg2"}}).json()["endpoint_group"]
    assert renamed["name"] == "eg2" and renamed["filters"] == body["filters"]
    assert api.delete(f"{path}/projects/{project['id']}").status_code == 204
    assert error(api.delete(f"{path}/projects/{project['id']}"))[0] == 404
    assert api.delete(path).status_code == 204
    assert error(api.get(path)) == (404, f"Could not find endpoint group: {group['id']}.")


def test_bad_endpoint_groups(api: Api) -> None:
    bad_filter = {"name": "x", "filters": {"colour": "blue"}}
    resp = api.post("/OS-EP-FILTER/endpoint_groups", {"endpoint_group": bad_filter})
    assert error(resp)[0] == 400 and "filters" in error(resp)[1]
    no_name: dict[str, dict[str, str]] = {"filters": {}}
    resp = api.post("/OS-EP-FILTER/endpoint_groups", {"endpoint_group": no_name})
    assert error(resp)[0] == 400 and "name" in error(resp)[1]


def test_oauth_consumer_crud(api: Api) -> None:
    made = api.post("/OS-OAUTH1/consumers", {"consumer": {"description": "app"}})
    assert made.status_code == 201
    consumer = made.json()["consumer"]
    assert consumer["secret"]
    path = f"/OS-OAUTH1/consumers/{consumer['id']}"
    shown = api.get(path).json()["consumer"]
    assert shown["description"] == "app" and "secret" not in shown
    assert api.patch(path, {"consumer": {"description": "new"}}).status_code == 200
    assert api.get(path).json()["consumer"]["description"] == "new"
    resecret = api.patch(path, {"consumer": {"secret": "mine"}})
    assert error(resecret) == (
        400,
        "Invalid input for field 'consumer.secret': it cannot be changed.",
    )
    listed = api.get("/OS-OAUTH1/consumers").json()["consumers"]
    assert consumer["id"] in [c["id"] for c in listed]
    assert api.delete(path).status_code == 204
    assert error(api.get(path)) == (404, f"Could not find consumer: {consumer['id']}.")


def test_endpoint_creates_its_missing_region(api: Api) -> None:
    service = api.create("service", type=unique("t"))
    region_id = unique("auto-region")
    endpoint = api.create(
        "endpoint",
        service_id=service["id"],
        interface="public",
        url="http://r.test/",
        region=region_id,
    )
    assert endpoint["region_id"] == region_id
    assert api.get(f"/regions/{region_id}").json()["region"]["id"] == region_id
    not_bool = api.patch(f"/endpoints/{endpoint['id']}", {"endpoint": {"enabled": "False"}})
    assert error(not_bool)[0] == 400 and "endpoint.enabled" in error(not_bool)[1]
    assert api.get(f"/endpoints/{endpoint['id']}").json()["endpoint"]["enabled"] is True
