"""Image records over REST: discovery, create, show, list, update, tags, delete."""

from __future__ import annotations

import uuid

import httpx

from tests.functional.image.conftest import ImageApi
from tests.support.cloud import Account

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def _create(client: httpx.Client, **body: object) -> dict[str, object]:
    body.setdefault("name", f"img-{uuid.uuid4().hex[:6]}")
    resp = client.post(
        "/v2/images", json={"disk_format": "raw", "container_format": "bare", **body}
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_discovery_lists_v2(image_api: ImageApi) -> None:
    root = httpx.get(f"{image_api.url}/")
    assert root.status_code == 300
    assert root.json()["versions"][0] == {
        "id": "v2.16",
        "status": "CURRENT",
        "links": [{"rel": "self", "href": f"{image_api.url}/v2/"}],
    }
    assert httpx.get(f"{image_api.url}/versions").status_code == 200


def test_requires_a_token(image_api: ImageApi) -> None:
    resp = httpx.get(f"{image_api.url}/v2/images")
    assert resp.status_code == 401


def test_create_show_defaults(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        image = _create(c, os_distro="cirros", tags=["a", "b", "a"])
        assert image["status"] == "queued"
        assert image["visibility"] == "shared"
        assert image["owner"] == project_a.project_id
        assert image["tags"] == ["a", "b"]
        assert image["os_distro"] == "cirros"
        assert image["file"] == f"/v2/images/{image['id']}/file"
        shown = c.get(f"/v2/images/{image['id']}").json()
        assert shown == image


def test_create_with_readonly_attribute_is_403(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        resp = c.post("/v2/images", json={"name": "x", "status": "active"})
        assert resp.status_code == 403
        assert resp.json()["message"] == "Attribute 'status' is read-only."
        resp = c.post("/v2/images", json={"name": "x", "deleted": "yes"})
        assert resp.status_code == 403
        assert "reserved" in resp.json()["message"]


def test_create_with_bad_formats_is_400(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        resp = c.post("/v2/images", json={"name": "x", "disk_format": "floppy"})
        assert resp.status_code == 400
        assert "disk_format" in resp.json()["message"]
        resp = c.post("/v2/images", json={"name": "x", "container_format": "zip"})
        assert resp.status_code == 400
        resp = c.post("/v2/images", json={"name": "x", "min_ram": -1})
        assert resp.status_code == 400
        resp = c.post("/v2/images", json={"name": "x", "custom": 5})
        assert resp.status_code == 400
        assert "custom" in resp.json()["message"]
        resp = c.post("/v2/images", content=b"[1", headers={"Content-Type": "application/json"})
        assert resp.status_code == 400


def test_non_admin_cannot_make_public(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        resp = c.post("/v2/images", json={"name": "x", "visibility": "public"})
        assert resp.status_code == 403
        assert "publicize_image" in resp.json()["message"]
        image = _create(c)
        resp = c.patch(
            f"/v2/images/{image['id']}",
            headers=PATCH,
            json=[{"op": "replace", "path": "/visibility", "value": "public"}],
        )
        assert resp.status_code == 403
    with image_api.client() as admin:
        assert _create(admin, visibility="public")["visibility"] == "public"


def test_duplicate_id_is_409(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        image = _create(c)
        resp = c.post("/v2/images", json={"id": image["id"]})
        assert resp.status_code == 409


def test_patch_base_and_custom_properties(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        image = _create(c, hw_disk_bus="virtio")
        ops = [
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "add", "path": "/os_type", "value": "linux"},
            {"op": "remove", "path": "/hw_disk_bus"},
            {"op": "replace", "path": "/tags", "value": ["x"]},
            {"op": "replace", "path": "/min_ram", "value": 512},
            {"op": "replace", "path": "/protected", "value": True},
        ]
        resp = c.patch(f"/v2/images/{image['id']}", headers=PATCH, json=ops)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert (body["name"], body["os_type"], body["tags"], body["min_ram"]) == (
            "renamed",
            "linux",
            ["x"],
            512,
        )
        assert "hw_disk_bus" not in body
        assert body["protected"] is True
        resp = c.delete(f"/v2/images/{image['id']}")
        assert resp.status_code == 403
        assert "protected" in resp.json()["message"]


def test_patch_errors(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        created = _create(c)
        url = f"/v2/images/{created['id']}"
        for path in ("/id", "/status", "/checksum", "/size"):
            resp = c.patch(url, headers=PATCH, json=[{"op": "replace", "path": path, "value": "1"}])
            assert resp.status_code == 403, path
            assert "read-only" in resp.json()["message"]
        resp = c.patch(url, json=[{"op": "replace", "path": "/name", "value": "n"}])
        assert resp.status_code == 415
        resp = c.patch(url, headers=PATCH, json=[{"op": "remove", "path": "/nothing"}])
        assert resp.status_code == 409
        resp = c.patch(url, headers=PATCH, json=[{"op": "move", "path": "/name"}])
        assert resp.status_code == 400
        resp = c.patch(url, headers=PATCH, json={"op": "add"})
        assert resp.status_code == 400
        # No refused patch wrote anything: the image is still exactly as created.
        assert c.get(url).json() == created


def test_tags(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        image_id = _create(c)["id"]
        assert c.put(f"/v2/images/{image_id}/tags/blue").status_code == 204
        assert c.put(f"/v2/images/{image_id}/tags/blue").status_code == 204
        assert c.get(f"/v2/images/{image_id}").json()["tags"] == ["blue"]
        assert c.delete(f"/v2/images/{image_id}/tags/blue").status_code == 204
        resp = c.delete(f"/v2/images/{image_id}/tags/blue")
        assert resp.status_code == 404


def test_list_filters_sort_and_paging(image_api: ImageApi, project_b: Account) -> None:
    with image_api.client(project_b) as c:
        marker = uuid.uuid4().hex[:6]
        ids = [_create(c, name=f"{marker}-{i}", tags=[marker], min_ram=i)["id"] for i in range(5)]
        listed = c.get("/v2/images", params={"tag": marker, "sort": "name:asc"}).json()
        assert [i["id"] for i in listed["images"]] == ids
        page = c.get(
            "/v2/images", params={"tag": marker, "sort_key": "name", "sort_dir": "asc", "limit": 2}
        ).json()
        assert [i["id"] for i in page["images"]] == ids[:2]
        assert page["first"] == "/v2/images" and page["schema"] == "/v2/schemas/images"
        second = c.get(page["next"]).json()
        assert [i["id"] for i in second["images"]] == ids[2:4]
        named = c.get("/v2/images", params={"name": f"{marker}-3"}).json()["images"]
        assert [i["id"] for i in named] == [ids[3]]
        recent = c.get(
            "/v2/images", params={"tag": marker, "created_at": "gte:2000-01-01T00:00:00Z"}
        )
        assert len(recent.json()["images"]) == 5
        assert c.get("/v2/images", params={"sort_key": "bogus"}).status_code == 400
        assert c.get("/v2/images", params={"limit": "x"}).status_code == 400
        assert c.get("/v2/images", params={"marker": str(uuid.uuid4())}).status_code == 400
        bad_time = c.get("/v2/images", params={"created_at": "gte:yesterday"})
        assert bad_time.status_code == 400


def test_hidden_images_are_not_listed(image_api: ImageApi, project_b: Account) -> None:
    with image_api.client(project_b) as c:
        image = _create(c, os_hidden=True)
        ids = [i["id"] for i in c.get("/v2/images").json()["images"]]
        assert image["id"] not in ids
        hidden = c.get("/v2/images", params={"os_hidden": "true"}).json()["images"]
        assert image["id"] in [i["id"] for i in hidden]


def test_owner_deactivates_and_reactivates(
    image_api: ImageApi, project_a: Account, project_b: Account
) -> None:
    with image_api.client(project_a) as c:
        image_id = _create(c)["id"]
        resp = c.post(f"/v2/images/{image_id}/actions/deactivate")
        assert resp.status_code == 403
        assert "queued" in resp.json()["message"]
        data = {"Content-Type": "application/octet-stream"}
        assert (
            c.put(f"/v2/images/{image_id}/file", content=b"x" * 512, headers=data).status_code
            == 204
        )
        assert c.post(f"/v2/images/{image_id}/actions/deactivate").status_code == 204
        assert c.get(f"/v2/images/{image_id}").json()["status"] == "deactivated"
        assert c.get(f"/v2/images/{image_id}/file").status_code == 403
    with image_api.client(project_b) as other:
        resp = other.post(f"/v2/images/{image_id}/actions/reactivate")
        assert resp.status_code == 404
    with image_api.client(project_a) as c:
        assert c.post(f"/v2/images/{image_id}/actions/reactivate").status_code == 204
        assert c.get(f"/v2/images/{image_id}/file").content == b"x" * 512


def test_patch_in_the_v2_0_spelling(image_api: ImageApi, project_a: Account) -> None:
    """``{"replace": "/name", "value": ...}``, as Tempest and older clients send it."""
    headers = {"Content-Type": "application/openstack-images-v2.0-json-patch"}
    with image_api.client(project_a) as c:
        image_id = _create(c)["id"]
        ops = [{"replace": "/name", "value": "renamed"}, {"add": "/color", "value": "red"}]
        resp = c.patch(f"/v2/images/{image_id}", json=ops, headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["name"] == "renamed" and resp.json()["color"] == "red"
        resp = c.patch(f"/v2/images/{image_id}", json=[{"remove": "/color"}], headers=headers)
        assert "color" not in resp.json()
        reserved = [{"add": "/os_glance_foo", "value": "bar"}]
        resp = c.patch(f"/v2/images/{image_id}", json=reserved, headers=headers)
        assert resp.status_code == 403
        assert resp.json()["message"] == "Attribute 'os_glance_foo' is reserved."
        ambiguous = [{"add": "/a", "replace": "/b", "value": "c"}]
        resp = c.patch(f"/v2/images/{image_id}", json=ambiguous, headers=headers)
        assert resp.status_code == 400
        assert "Use add, replace or remove" in resp.json()["message"]


def test_admin_changes_owner_with_patch(image_api: ImageApi) -> None:
    headers = {"Content-Type": "application/openstack-images-v2.0-json-patch"}
    new_owner = uuid.uuid4().hex
    with image_api.client() as admin:
        image_id = _create(admin, owner=uuid.uuid4().hex)["id"]
        ops = [{"replace": "/owner", "value": new_owner}]
        resp = admin.patch(f"/v2/images/{image_id}", json=ops, headers=headers)
        assert resp.status_code == 200, resp.text
        assert admin.get(f"/v2/images/{image_id}").json()["owner"] == new_owner


def test_empty_image_id_is_404(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        for method in ("GET", "DELETE"):
            resp = c.request(method, "/v2/images/")
            assert resp.status_code == 404
            assert resp.json()["message"] == "No image found with an empty ID."


def test_delete_and_404(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        image_id = _create(c)["id"]
        assert c.delete(f"/v2/images/{image_id}").status_code == 204
        resp = c.get(f"/v2/images/{image_id}")
        assert resp.status_code == 404
        assert resp.json()["message"] == f"No image found with ID {image_id}"


def test_schemas_and_info(image_api: ImageApi) -> None:
    with image_api.client() as c:
        schema = c.get("/v2/schemas/image").json()
        assert schema["name"] == "image"
        assert schema["additionalProperties"] == {"type": "string"}
        assert "qcow2" in schema["properties"]["disk_format"]["enum"]
        assert c.get("/v2/schemas/images").json()["name"] == "images"
        assert c.get("/v2/schemas/member").json()["name"] == "member"
        assert c.get("/v2/schemas/members").json()["name"] == "members"
        methods = c.get("/v2/info/import").json()["import-methods"]["value"]
        assert methods == ["glance-direct", "web-download"]
        assert c.get("/v2/info/stores").json()["stores"][0]["id"] == "file"


def test_protected_image_is_deleted_once_unprotected(
    image_api: ImageApi, project_a: Account
) -> None:
    headers = {"Content-Type": "application/openstack-images-v2.0-json-patch"}
    with image_api.client(project_a) as c:
        image_id = _create(c, protected=True)["id"]
        resp = c.delete(f"/v2/images/{image_id}")
        assert resp.status_code == 403
        assert resp.json()["message"] == f"Image {image_id} is protected and cannot be deleted."
        ops = [{"replace": "/protected", "value": False}]
        assert c.patch(f"/v2/images/{image_id}", json=ops, headers=headers).status_code == 200
        assert c.delete(f"/v2/images/{image_id}").status_code == 204
