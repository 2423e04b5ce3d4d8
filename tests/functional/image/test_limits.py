"""Numbers and sizes a client sends the image service are bounded: never a 500."""

from __future__ import annotations

from nimbostack.image.api.listing import MAX_FILTERS
from tests.functional.image.conftest import ImageApi

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def test_listing_numbers_past_64_bits_are_refused_at_once(image_api: ImageApi) -> None:
    with image_api.client() as client:
        for params in ({"size_min": str(2**63 - 1)}, {"size_max": "5"}):
            resp = client.get("/v2/images", params=params)
            assert resp.status_code == 200, (params, resp.text)
        for params in (
            {"size_min": "9" * 30},
            {"size_max": "9" * 5000},
            {"limit": "9" * 5000},
            {"size_min": str(2**63)},
            {"size_min": "-1"},
            {"size_max": "²"},
            {"limit": "x"},
        ):
            resp = client.get("/v2/images", params=params)
            assert resp.status_code == 400, (params, resp.text)


def test_listing_filters_are_bounded(image_api: ImageApi) -> None:
    with image_api.client() as client:
        tags = [("tag", f"t{n}") for n in range(MAX_FILTERS)]
        assert client.get("/v2/images", params=tags).status_code == 200
        resp = client.get("/v2/images", params=[*tags, ("tag", "one-more")])
        assert resp.status_code == 400
        assert f"at most {MAX_FILTERS}" in resp.text
        sort = ",".join(["name:asc"] * (MAX_FILTERS + 1))
        assert client.get("/v2/images", params={"sort": sort}).status_code == 400


def test_metadef_limits_are_cut_or_refused(image_api: ImageApi) -> None:
    with image_api.client() as client:
        for limit in (str(2**63 - 1), "5"):
            resp = client.get("/v2/metadefs/namespaces", params={"limit": limit})
            assert resp.status_code == 200, resp.text
        for limit in ("9" * 5000, "²"):
            resp = client.get("/v2/metadefs/namespaces", params={"limit": limit})
            assert resp.status_code == 400, resp.text


def test_json_bodies_past_the_limit_are_413(image_api: ImageApi) -> None:
    with image_api.client() as client:
        big = {"name": "x", "disk_format": "raw", "container_format": "bare"}
        big["description_blob"] = "x" * 200_000
        resp = client.post("/v2/images", json=big)
        assert resp.status_code == 413, resp.text
        made = client.post("/v2/images", json={"name": "small"})
        assert made.status_code == 201, made.text
        ops = [{"op": "add", "path": f"/p{n}", "value": "v" * 100} for n in range(2000)]
        resp = client.patch(f"/v2/images/{made.json()['id']}", json=ops, headers=PATCH)
        assert resp.status_code == 413, resp.text
        client.delete(f"/v2/images/{made.json()['id']}")
