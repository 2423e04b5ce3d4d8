"""Concurrent requests on one image: each race has exactly one winner, and nothing is lost.

Same-id creates, double deletes, tag changes, property patches and member adds are
fired at once at the image service, on SQLite and on PostgreSQL; the answers and the
final state must be those of some serial order, with no 500.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.functional.image.conftest import ImageApi, image_cloud
from tests.support.cloud import CLIENT_TLS, Account

OCTET = {"Content-Type": "application/octet-stream"}
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def racing_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ImageApi]:
    """The image service in-process, on SQLite and then on PostgreSQL."""
    for cloud in image_cloud(request, tmp_path_factory):
        yield ImageApi(cloud.url("image"), cloud.data_dir, cloud)


def _account(api: ImageApi, prefix: str) -> Account:
    account = api.cloud.make_project_user(prefix)
    # Its token is fetched now, in set-up: the async tests may not block their loop on it.
    api.cloud.project_token(account.user, account.password, account.project)
    return account


@pytest.fixture(scope="module")
def project_a(racing_api: ImageApi) -> Account:
    return _account(racing_api, "race-a")


@pytest.fixture(scope="module")
def project_b(racing_api: ImageApi) -> Account:
    return _account(racing_api, "race-b")


def _client(image_api: ImageApi, account: Account) -> httpx.AsyncClient:
    token = image_api.cloud.project_token(account.user, account.password, account.project)
    headers = {"X-Auth-Token": token}
    return httpx.AsyncClient(base_url=image_api.url, headers=headers, timeout=60, verify=CLIENT_TLS)


async def _new(c: httpx.AsyncClient, **extra: object) -> str:
    body = {"name": "race", "disk_format": "raw", "container_format": "bare", **extra}
    resp = await c.post("/v2/images", json=body)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def test_same_id_creates_give_one_201_and_409s(
    racing_api: ImageApi, project_a: Account
) -> None:
    image_id = str(uuid.uuid4())
    body = {"id": image_id, "name": "same", "disk_format": "raw", "container_format": "bare"}
    async with _client(racing_api, project_a) as c:
        answers = await asyncio.gather(*(c.post("/v2/images", json=body) for _ in range(50)))
    codes = Counter(resp.status_code for resp in answers)
    assert codes == {201: 1, 409: 49}, [r.text for r in answers if r.status_code not in (201, 409)]
    conflict = next(resp for resp in answers if resp.status_code == 409)
    assert conflict.json()["message"] == f"Image with identifier {image_id} already exists!"


async def test_double_delete_gives_one_204_and_one_404(
    racing_api: ImageApi, project_a: Account
) -> None:
    async with _client(racing_api, project_a) as c:
        for _ in range(10):
            image_id = await _new(c)
            put = await c.put(f"/v2/images/{image_id}/file", content=b"\1" * 4096, headers=OCTET)
            assert put.status_code == 204, put.text
            first, second = await asyncio.gather(
                c.delete(f"/v2/images/{image_id}"), c.delete(f"/v2/images/{image_id}")
            )
            assert sorted([first.status_code, second.status_code]) == [204, 404]
            loser = first if first.status_code == 404 else second
            assert loser.json()["message"] == f"No image found with ID {image_id}"
            assert [name for name in racing_api.stored_files() if image_id in name] == []


async def test_concurrent_tag_adds_are_all_kept(racing_api: ImageApi, project_a: Account) -> None:
    async with _client(racing_api, project_a) as c:
        image_id = await _new(c)
        tags = [f"t{n:02d}" for n in range(20)]
        answers = await asyncio.gather(
            *(c.put(f"/v2/images/{image_id}/tags/{tag}") for tag in tags),
            c.put(f"/v2/images/{image_id}/tags/t00"),  # the same tag twice at once
        )
        assert {resp.status_code for resp in answers} == {204}
        image = (await c.get(f"/v2/images/{image_id}")).json()
        assert sorted(image["tags"]) == tags


async def test_concurrent_tag_deletes_each_win_once(
    racing_api: ImageApi, project_a: Account
) -> None:
    async with _client(racing_api, project_a) as c:
        tags = [f"t{n:02d}" for n in range(20)]
        image_id = await _new(c, tags=[*tags, "kept"])
        answers = await asyncio.gather(
            *(c.delete(f"/v2/images/{image_id}/tags/{tag}") for tag in tags),
            *(c.delete(f"/v2/images/{image_id}/tags/t00") for _ in range(5)),
        )
        assert Counter(resp.status_code for resp in answers) == {204: 20, 404: 5}
        image = (await c.get(f"/v2/images/{image_id}")).json()
        assert image["tags"] == ["kept"]


async def test_concurrent_property_patches_are_all_kept(
    racing_api: ImageApi, project_a: Account
) -> None:
    async with _client(racing_api, project_a) as c:
        image_id = await _new(c)

        async def patch(n: int) -> httpx.Response:
            ops = [{"op": "add", "path": f"/p{n:02d}", "value": str(n)}]
            return await c.patch(f"/v2/images/{image_id}", json=ops, headers=PATCH)

        answers = await asyncio.gather(*(patch(n) for n in range(20)))
        assert {resp.status_code for resp in answers} == {200}
        image = (await c.get(f"/v2/images/{image_id}")).json()
        assert {f"p{n:02d}": str(n) for n in range(20)}.items() <= image.items()


async def test_disk_format_cannot_change_once_data_arrived(
    racing_api: ImageApi, project_a: Account
) -> None:
    async with _client(racing_api, project_a) as c:
        for _ in range(5):
            image_id = await _new(c)
            ops = [{"op": "replace", "path": "/disk_format", "value": "qcow2"}]
            upload, patch = await asyncio.gather(
                c.put(f"/v2/images/{image_id}/file", content=b"\0" * 65536, headers=OCTET),
                c.patch(f"/v2/images/{image_id}", json=ops, headers=PATCH),
            )
            image = (await c.get(f"/v2/images/{image_id}")).json()
            # Either order is fine, but never raw data recorded as qcow2.
            if upload.status_code == 204:
                assert image["status"] == "active" and image["disk_format"] == "raw"
                assert patch.status_code == 403, patch.text
            else:
                assert patch.status_code == 200 and upload.status_code == 400
                assert image["status"] == "queued" and image["disk_format"] == "qcow2"


async def test_same_member_added_at_once_gives_one_200(
    racing_api: ImageApi, project_a: Account, project_b: Account
) -> None:
    async with _client(racing_api, project_a) as c:
        image_id = await _new(c)
        body = {"member": project_b.project_id}
        answers = await asyncio.gather(
            *(c.post(f"/v2/images/{image_id}/members", json=body) for _ in range(10))
        )
        assert Counter(resp.status_code for resp in answers) == {200: 1, 409: 9}
        members = (await c.get(f"/v2/images/{image_id}/members")).json()["members"]
        assert [m["member_id"] for m in members] == [project_b.project_id]


async def test_member_added_to_an_image_being_deleted_is_404(
    racing_api: ImageApi, project_a: Account, project_b: Account
) -> None:
    async with _client(racing_api, project_a) as c:
        for _ in range(5):
            image_id = await _new(c)
            body = {"member": project_b.project_id}
            deleted, added = await asyncio.gather(
                c.delete(f"/v2/images/{image_id}"),
                c.post(f"/v2/images/{image_id}/members", json=body),
            )
            assert deleted.status_code == 204
            assert added.status_code in (200, 404), added.text
