"""What a client sends block storage is bounded: body size, integers, nesting. Never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.functional.volume.conftest import VolumeCloud, base_env, fault

LIMIT = 2048


@pytest.fixture
async def small_bodies(tmp_path: Path) -> AsyncIterator[VolumeCloud]:
    env = base_env(tmp_path, NIMBOSTACK_VOLUME__MAX_REQUEST_BODY_SIZE=str(LIMIT))
    running = VolumeCloud(tmp_path, env)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_body_over_the_volume_limit_is_413(small_bodies: VolumeCloud) -> None:
    cloud = small_bodies
    body = {"volume": {"size": 1, "description": "x" * 200}}
    assert (await cloud.call("POST", "/v3/volumes", body)).status_code == 202
    body["volume"]["description"] = "x" * LIMIT
    resp = await cloud.call("POST", "/v3/volumes", body)
    assert fault(resp) == (
        "overLimit",
        413,
        f"The request body is larger than the limit of {LIMIT} bytes.",
    )


async def test_size_filter_beyond_the_column_is_400(cloud: VolumeCloud) -> None:
    assert (await cloud.call("GET", "/v3/volumes", params={"size": "1"})).status_code == 200
    for raw in ("9" * 20, str(2**31), "-1", "²", "1_0"):
        resp = await cloud.call("GET", "/v3/volumes", params={"size": raw})
        key, code, message = fault(resp)
        assert (key, code) == ("badRequest", 400), (raw, resp.text)
        assert "query parameter 'size'" in message


async def test_limit_is_cut_to_a_page_or_refused_beyond_64_bits(cloud: VolumeCloud) -> None:
    await cloud.available_volume()
    for raw in (str(2**63 - 1), "1000000", "0"):  # 0: the largest page, as in Cinder
        found = await cloud.ok("GET", "/v3/volumes", params={"limit": raw})
        assert len(found["volumes"]) == 1
    for raw in (str(2**63), "9" * 5000, "-1", "x"):
        resp = await cloud.call("GET", "/v3/volumes", params={"limit": raw})
        assert fault(resp)[:2] == ("badRequest", 400), (raw[:30], resp.text)


async def test_metadata_filter_is_decoded_within_bounds(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(metadata={"k": "v"})
    found = await cloud.ok("GET", "/v3/volumes", params={"metadata": '{"k": "v"}'})
    assert [v["id"] for v in found["volumes"]] == [vol["id"]]
    for raw in ("[" * 5000 + "]" * 5000, '{"k": ' + "9" * 30 + "}", '{"k": "\\u0000"}'):
        resp = await cloud.call("GET", "/v3/volumes", params={"metadata": raw})
        key, code, message = fault(resp)
        assert (key, code) == ("badRequest", 400), (raw[:30], resp.text)
        assert message.startswith("Invalid metadata filter: ")


async def test_sizes_beyond_the_column_are_400(cloud: VolumeCloud) -> None:
    for size in (2**31, str(2**31), "9" * 30, 2**64):
        resp = await cloud.call("POST", "/v3/volumes", {"volume": {"size": size}})
        assert fault(resp)[:2] == ("badRequest", 400), (size, resp.text)
    vol = await cloud.available_volume()
    for size in (2**31, "9" * 30):
        body = {"os-extend": {"new_size": size}}
        resp = await cloud.call("POST", f"/v3/volumes/{vol['id']}/action", body)
        assert fault(resp)[:2] == ("badRequest", 400), (size, resp.text)
    assert (await cloud.volume(vol["id"]))["size"] == 1
