"""Concurrent changes of one image all land: tags added at once, properties patched at once."""

from __future__ import annotations

import asyncio

import httpx

from tests.functional.image.conftest import ImageApi
from tests.support.cloud import Account

N = 20
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


async def _send(
    image_api: ImageApi, account: Account, calls: list[tuple[str, str, object]]
) -> list[int]:
    token = image_api.cloud.project_token(account.user, account.password, account.project)
    headers = {"X-Auth-Token": token}
    async with httpx.AsyncClient(base_url=image_api.url, headers=headers, timeout=60) as client:
        sent = [
            client.request(method, path, json=body, headers=PATCH if method == "PATCH" else None)
            for method, path, body in calls
        ]
        return [resp.status_code for resp in await asyncio.gather(*sent)]


def _new_image(image_api: ImageApi, account: Account) -> str:
    with image_api.client(account) as client:
        made = client.post(
            "/v2/images", json={"name": "many", "disk_format": "raw", "container_format": "bare"}
        )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])


def _shown(image_api: ImageApi, account: Account, image_id: str) -> dict[str, object]:
    with image_api.client(account) as client:
        shown: dict[str, object] = client.get(f"/v2/images/{image_id}").json()
    return shown


async def test_tags_added_at_once_all_stay(image_api: ImageApi, project_a: Account) -> None:
    image_id = _new_image(image_api, project_a)
    calls = [("PUT", f"/v2/images/{image_id}/tags/t{i}", None) for i in range(N)]
    assert await _send(image_api, project_a, calls) == [204] * N
    tags = _shown(image_api, project_a, image_id)["tags"]
    assert sorted(tags) == sorted(f"t{i}" for i in range(N))  # type: ignore[arg-type]


async def test_properties_patched_at_once_all_stay(image_api: ImageApi, project_a: Account) -> None:
    image_id = _new_image(image_api, project_a)
    calls = [
        ("PATCH", f"/v2/images/{image_id}", [{"op": "add", "path": f"/p{i}", "value": "v"}])
        for i in range(N)
    ]
    assert await _send(image_api, project_a, calls) == [200] * N
    shown = _shown(image_api, project_a, image_id)
    assert all(shown.get(f"p{i}") == "v" for i in range(N)), shown
