"""Metadata definitions over REST: namespaces, objects, properties, tags, resource types."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.functional.image.conftest import ImageApi
from tests.support.cloud import Account

NS = "/v2/metadefs/namespaces"


@pytest.fixture
def admin(image_api: ImageApi) -> Iterator[httpx.Client]:
    with image_api.client() as client:
        yield client


def _namespace(admin: httpx.Client, **body: object) -> str:
    name = f"ns-{uuid.uuid4().hex[:8]}"
    resp = admin.post(NS, json={"namespace": name, **body})
    assert resp.status_code == 201, resp.text
    return name


def test_namespace_lifecycle(admin: httpx.Client) -> None:
    types = admin.get("/v2/metadefs/resource_types").json()["resource_types"]
    assert "OS::Glance::Image" in [t["name"] for t in types]
    name = _namespace(
        admin,
        visibility="public",
        display_name="Disks",
        protected=True,
        resource_type_associations=[{"name": "OS::Glance::Image", "prefix": "hw_"}],
        tags=[{"name": "fast"}],
    )
    shown = admin.get(f"{NS}/{name}").json()
    assert shown["namespace"] == name and shown["visibility"] == "public"
    assert shown["self"] == f"{NS}/{name}" and shown["protected"] is True
    assert shown["resource_type_associations"][0]["prefix"] == "hw_"
    assert shown["tags"] == [{"name": "fast"}]
    assert "description" not in shown
    assert name in [n["namespace"] for n in admin.get(NS).json()["namespaces"]]
    resp = admin.delete(f"{NS}/{name}")
    assert resp.status_code == 403
    assert "protected" in resp.json()["message"]
    update = {"namespace": name, "visibility": "private", "protected": False}
    resp = admin.put(f"{NS}/{name}", json=update)
    assert resp.status_code == 200, resp.text
    assert resp.json()["visibility"] == "private" and resp.json()["protected"] is False
    assert admin.delete(f"{NS}/{name}").status_code == 204
    resp = admin.get(f"{NS}/{name}")
    assert resp.status_code == 404
    assert resp.json()["message"] == f"Metadata definition namespace={name} was not found."


def test_bad_namespaces_are_refused(admin: httpx.Client) -> None:
    resp = admin.post(NS, json={"namespace": "x", "visibility": "shared"})
    assert resp.status_code == 400
    assert "visibility" in resp.json()["message"]
    resp = admin.post(NS, json={"display_name": "no name"})
    assert resp.status_code == 400
    assert "namespace" in resp.json()["message"]
    name = _namespace(admin)
    resp = admin.post(NS, json={"namespace": name})
    assert resp.status_code == 409
    assert resp.json()["message"] == f"Metadata definition namespace={name} already exists."
    # A bad content item refuses the whole create: no namespace is left behind.
    other = f"ns-{uuid.uuid4().hex[:8]}"
    resp = admin.post(NS, json={"namespace": other, "tags": [{"name": "a"}, {"name": "a"}]})
    assert resp.status_code == 409
    assert admin.get(f"{NS}/{other}").status_code == 404
    assert admin.get(NS, params={"limit": "x"}).status_code == 400


def test_visibility_and_admin_only_writes(
    image_api: ImageApi, admin: httpx.Client, project_a: Account
) -> None:
    public = _namespace(admin, visibility="public")
    private = _namespace(admin, visibility="private")
    with image_api.client(project_a) as member:
        assert member.get(f"{NS}/{public}").status_code == 200
        assert member.get(f"{NS}/{private}").status_code == 404
        listed = [n["namespace"] for n in member.get(NS).json()["namespaces"]]
        assert public in listed and private not in listed
        resp = member.post(NS, json={"namespace": f"ns-{uuid.uuid4().hex[:8]}"})
        assert resp.status_code == 403
        assert "add_metadef_namespace" in resp.json()["message"]
        resp = member.post(f"{NS}/{public}/objects", json={"name": "o"})
        assert resp.status_code == 403
        assert member.delete(f"{NS}/{public}").status_code == 403


def test_objects(admin: httpx.Client) -> None:
    name = _namespace(admin)
    obj = {
        "name": "cpu",
        "required": ["cores"],
        "properties": {"cores": {"title": "Cores", "type": "integer"}},
    }
    resp = admin.post(f"{NS}/{name}/objects", json=obj)
    assert resp.status_code == 201, resp.text
    assert resp.json()["self"] == f"{NS}/{name}/objects/cpu"
    assert admin.post(f"{NS}/{name}/objects", json=obj).status_code == 409
    resp = admin.put(f"{NS}/{name}/objects/cpu", json={"name": "vcpu"})
    assert resp.status_code == 200 and resp.json()["name"] == "vcpu"
    assert admin.get(f"{NS}/{name}/objects/cpu").status_code == 404
    assert admin.get(f"{NS}/{name}/objects/vcpu").json()["name"] == "vcpu"
    assert [o["name"] for o in admin.get(f"{NS}/{name}/objects").json()["objects"]] == ["vcpu"]
    assert admin.delete(f"{NS}/{name}/objects/vcpu").status_code == 204
    assert admin.get(f"{NS}/{name}/objects").json()["objects"] == []
    bad = {"name": "x", "properties": {"p": {"title": "P", "type": "colour"}}}
    resp = admin.post(f"{NS}/{name}/objects", json=bad)
    assert resp.status_code == 400
    assert "properties.p.type" in resp.json()["message"]


def test_properties(admin: httpx.Client) -> None:
    name = _namespace(admin)
    prop = {"name": "hypervisor", "title": "Hypervisor", "type": "string", "enum": ["kvm", "xen"]}
    resp = admin.post(f"{NS}/{name}/properties", json=prop)
    assert resp.status_code == 201, resp.text
    assert resp.json() == prop
    assert admin.get(f"{NS}/{name}/properties/hypervisor").json() == prop
    listed = admin.get(f"{NS}/{name}/properties").json()["properties"]
    assert listed == {
        "hypervisor": {"title": "Hypervisor", "type": "string", "enum": ["kvm", "xen"]}
    }
    resp = admin.put(f"{NS}/{name}/properties/hypervisor", json={**prop, "title": "HV"})
    assert resp.json()["title"] == "HV"
    resp = admin.post(f"{NS}/{name}/properties", json={"name": "x", "type": "string"})
    assert resp.status_code == 400
    assert resp.json()["message"].startswith("Invalid input for field 'title'")
    assert admin.delete(f"{NS}/{name}/properties/hypervisor").status_code == 204
    assert admin.get(f"{NS}/{name}/properties").json() == {"properties": {}}
    assert admin.delete(f"{NS}/{name}/properties/hypervisor").status_code == 404


def test_tags(admin: httpx.Client) -> None:
    name = _namespace(admin)
    tags = {"tags": [{"name": "a"}, {"name": "b"}]}
    resp = admin.post(f"{NS}/{name}/tags", json=tags)
    assert resp.status_code == 201 and resp.json() == tags
    assert admin.post(f"{NS}/{name}/tags/c").status_code == 201
    assert admin.post(f"{NS}/{name}/tags/c").status_code == 409
    resp = admin.put(f"{NS}/{name}/tags/c", json={"name": "d"})
    assert resp.status_code == 200 and resp.json()["name"] == "d"
    listed = [t["name"] for t in admin.get(f"{NS}/{name}/tags").json()["tags"]]
    assert sorted(listed) == ["a", "b", "d"]
    # Replacing with a list holding a duplicate is refused and keeps the old tags.
    resp = admin.post(f"{NS}/{name}/tags", json={"tags": [{"name": "x"}, {"name": "x"}]})
    assert resp.status_code == 409
    assert len(admin.get(f"{NS}/{name}/tags").json()["tags"]) == 3
    append = {"X-Openstack-Append": "true"}
    resp = admin.post(f"{NS}/{name}/tags", json={"tags": [{"name": "e"}]}, headers=append)
    assert resp.status_code == 201
    assert len(admin.get(f"{NS}/{name}/tags").json()["tags"]) == 4
    assert admin.delete(f"{NS}/{name}/tags/d").status_code == 204
    assert admin.delete(f"{NS}/{name}/tags").status_code == 204
    assert admin.get(f"{NS}/{name}/tags").json() == {"tags": []}


def test_resource_type_associations(admin: httpx.Client) -> None:
    name = _namespace(admin)
    path = f"{NS}/{name}/resource_types"
    resp = admin.post(path, json={"name": "OS::Nova::Flavor", "prefix": "hw:"})
    assert resp.status_code == 201 and resp.json()["name"] == "OS::Nova::Flavor"
    assert admin.post(path, json={"name": "OS::Nova::Flavor"}).status_code == 409
    listed = admin.get(NS, params={"resource_types": "OS::Nova::Flavor"}).json()["namespaces"]
    assert name in [n["namespace"] for n in listed]
    links = admin.get(path).json()["resource_type_associations"]
    assert [link["name"] for link in links] == ["OS::Nova::Flavor"]
    assert admin.delete(f"{path}/OS::Nova::Flavor").status_code == 204
    assert admin.get(path).json()["resource_type_associations"] == []
    assert admin.delete(f"{path}/OS::Nova::Flavor").status_code == 404


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("namespace", "namespace"),
        ("namespaces", "namespaces"),
        ("resource_type", "resource_type_association"),
        ("resource_types", "resource_type_associations"),
        ("object", "object"),
        ("objects", "objects"),
        ("property", "property"),
        ("properties", "properties"),
        ("tag", "tag"),
        ("tags", "tags"),
    ],
)
def test_schemas(image_api: ImageApi, project_a: Account, path: str, name: str) -> None:
    with image_api.client(project_a) as c:
        resp = c.get(f"/v2/schemas/metadefs/{path}")
        assert resp.status_code == 200
        assert resp.json()["name"] == name
        assert c.get("/v2/schemas/metadefs/bogus").status_code == 404
