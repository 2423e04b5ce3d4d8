"""Visibility and members: what another project can see, download and change."""

from __future__ import annotations

import uuid

import httpx

from tests.functional.image.conftest import ImageApi
from tests.support.cloud import Account

OCTET = {"Content-Type": "application/octet-stream"}
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def _image(c: httpx.Client, visibility: str) -> str:
    resp = c.post(
        "/v2/images",
        json={
            "name": f"s-{uuid.uuid4().hex[:6]}",
            "disk_format": "raw",
            "container_format": "bare",
            "visibility": visibility,
        },
    )
    assert resp.status_code == 201, resp.text
    image_id = str(resp.json()["id"])
    assert c.put(f"/v2/images/{image_id}/file", content=b"secret", headers=OCTET).status_code == 204
    return image_id


def _listed(c: httpx.Client, **params: str) -> list[str]:
    return [i["id"] for i in c.get("/v2/images", params=params).json()["images"]]


def test_private_image_is_invisible_to_others(
    image_api: ImageApi, project_a: Account, project_b: Account
) -> None:
    with image_api.client(project_a) as a:
        image_id = _image(a, "private")
    with image_api.client(project_b) as b:
        for method, path in (("GET", ""), ("GET", "/file"), ("DELETE", ""), ("PUT", "/tags/x")):
            resp = b.request(method, f"/v2/images/{image_id}{path}")
            assert resp.status_code == 404, (method, path)
            assert resp.json()["message"] == f"No image found with ID {image_id}"
        resp = b.patch(
            f"/v2/images/{image_id}",
            headers=PATCH,
            json=[{"op": "replace", "path": "/name", "value": "mine"}],
        )
        assert resp.status_code == 404
        assert image_id not in _listed(b, visibility="all")
        assert b.post(f"/v2/images/{image_id}/members", json={"member": "x"}).status_code == 404


def test_shared_image_membership_flow(
    image_api: ImageApi, project_a: Account, project_b: Account
) -> None:
    with image_api.client(project_a) as a:
        image_id = _image(a, "shared")
        resp = a.post(f"/v2/images/{image_id}/members", json={"member": project_b.project_id})
        assert resp.status_code == 200
        assert resp.json()["status"] == "pending"
        dup = a.post(f"/v2/images/{image_id}/members", json={"member": project_b.project_id})
        assert dup.status_code == 409
        owner_accepts = a.put(
            f"/v2/images/{image_id}/members/{project_b.project_id}", json={"status": "accepted"}
        )
        assert owner_accepts.status_code == 403
    with image_api.client(project_b) as b:
        assert b.get(f"/v2/images/{image_id}").status_code == 200
        assert image_id not in _listed(b)
        assert image_id in _listed(b, member_status="pending")
        bad = b.put(
            f"/v2/images/{image_id}/members/{project_b.project_id}", json={"status": "maybe"}
        )
        assert bad.status_code == 400
        ok = b.put(
            f"/v2/images/{image_id}/members/{project_b.project_id}", json={"status": "accepted"}
        )
        assert ok.status_code == 200 and ok.json()["status"] == "accepted"
        assert image_id in _listed(b)
        assert b.get(f"/v2/images/{image_id}/file").content == b"secret"
        resp = b.patch(
            f"/v2/images/{image_id}",
            headers=PATCH,
            json=[{"op": "replace", "path": "/name", "value": "mine"}],
        )
        assert resp.status_code == 403
        assert b.delete(f"/v2/images/{image_id}").status_code == 403
        members = b.get(f"/v2/images/{image_id}/members").json()["members"]
        assert [m["member_id"] for m in members] == [project_b.project_id]
    with image_api.client(project_a) as a:
        assert a.delete(f"/v2/images/{image_id}/members/{project_b.project_id}").status_code == 204
    with image_api.client(project_b) as b:
        assert b.get(f"/v2/images/{image_id}").status_code == 404


def test_members_only_on_shared_images(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as a:
        image_id = _image(a, "private")
        resp = a.post(f"/v2/images/{image_id}/members", json={"member": "someone"})
        assert resp.status_code == 403
        assert "Only shared images have members" in resp.json()["message"]


def test_community_image_visible_by_id(
    image_api: ImageApi, project_a: Account, project_b: Account
) -> None:
    with image_api.client(project_a) as a:
        image_id = _image(a, "community")
    with image_api.client(project_b) as b:
        assert b.get(f"/v2/images/{image_id}").status_code == 200
        assert image_id not in _listed(b)
        assert image_id in _listed(b, visibility="community")
        assert b.get(f"/v2/images/{image_id}/file").content == b"secret"
