"""Image list paging read by openstacksdk's own pager, which follows the ``next`` links."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import openstack.connection
import pytest
from keystoneauth1 import session, token_endpoint

from tests.functional.image.conftest import ImageApi
from tests.support.cloud import Account

# openstacksdk warns about an argument it passes to itself when it logs a request.
pytestmark = pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning")
MAX_REQUESTS = 30  # far more than any walk here needs: a pager that never ends fails


def _sdk(image_api: ImageApi, requests: list[str]) -> openstack.connection.Connection:
    auth = token_endpoint.Token(image_api.url, image_api.cloud.admin_token())
    sess = session.Session(auth=auth)

    def counted(resp: Any, *args: Any, **kwargs: Any) -> None:
        requests.append(resp.url)
        assert len(requests) <= MAX_REQUESTS, f"the pager never stops: {requests}"

    sess.session.hooks["response"].append(counted)
    return openstack.connection.Connection(session=sess, image_endpoint_override=image_api.url)


@pytest.fixture(scope="module")
def tagged(image_api: ImageApi) -> tuple[str, list[str]]:
    """Seven images under a fresh tag, with names that repeat, so sorts need tie-breaks."""
    tag = f"pg-{uuid.uuid4().hex[:8]}"
    ids = []
    with image_api.client() as c:
        for index in range(7):
            body = {"name": f"{tag}-{index % 3}", "tags": [tag], "disk_format": "raw",
                    "container_format": "bare", "pager": "yes" if index % 2 else "no"}  # fmt: skip
            made = c.post("/v2/images", json=body)
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
    return tag, ids


def _unpaged(image_api: ImageApi, params: dict[str, Any]) -> list[str]:
    with image_api.client() as c:
        body = c.get("/v2/images", params={**params, "limit": 100}).json()
    assert "next" not in body
    return [image["id"] for image in body["images"]]


@pytest.mark.parametrize(
    "sort",
    [{}, {"sort_key": "name", "sort_dir": "asc"}, {"sort": "name:desc,created_at:asc"}],
    ids=["default", "sort_key", "sort"],
)
def test_sdk_pager_sees_every_image_once(
    image_api: ImageApi, tagged: tuple[str, list[str]], sort: dict[str, str]
) -> None:
    tag, ids = tagged
    requests: list[str] = []
    conn = _sdk(image_api, requests)
    seen = [image.id for image in conn.image.images(tag=tag, limit=2, **sort)]
    assert seen == _unpaged(image_api, {"tag": tag, **sort})
    assert sorted(seen) == sorted(ids)
    listed = [url for url in requests if "/v2/images" in url]
    # Pages of 2, 2, 2 and 1 images, then the pager asks after the last one: empty.
    assert len(listed) == 5


def test_next_links_keep_a_property_filter(
    image_api: ImageApi, tagged: tuple[str, list[str]]
) -> None:
    tag, ids = tagged
    seen: list[str] = []
    url = f"/v2/images?tag={tag}&pager=yes&limit=2"
    with image_api.client() as c:
        for _ in range(MAX_REQUESTS):
            body = c.get(url).json()
            seen += [image["id"] for image in body["images"]]
            if "next" not in body:
                break
            url = body["next"]
    assert sorted(seen) == sorted(ids[1::2]) and len(seen) == len(set(seen))


def test_unknown_marker_and_bad_limits_are_400s(image_api: ImageApi) -> None:
    marker = str(uuid.uuid4())
    with image_api.client() as c:
        resp = c.get("/v2/images", params={"marker": marker})
        assert resp.status_code == 400
        assert f"Marker {marker} could not be found." in resp.text
        for limit in ("-1", "x"):
            assert c.get("/v2/images", params={"limit": limit}).status_code == 400


def test_a_marker_the_caller_cannot_see_is_unknown(
    image_api: ImageApi, tagged: tuple[str, list[str]], project_a: Account
) -> None:
    with image_api.client(project_a) as c:
        resp = c.get("/v2/images", params={"marker": tagged[1][0]})
    assert resp.status_code == 400


def test_next_link_keeps_the_query(image_api: ImageApi, tagged: tuple[str, list[str]]) -> None:
    tag, _ = tagged
    with image_api.client() as c:
        body = c.get("/v2/images", params={"tag": tag, "sort": "name:asc", "limit": 3}).json()
    params = httpx.URL(body["next"]).params
    assert params["tag"] == tag and params["sort"] == "name:asc" and params["limit"] == "3"
    assert params["marker"] == body["images"][-1]["id"]
