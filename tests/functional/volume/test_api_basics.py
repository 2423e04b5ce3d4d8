"""Version discovery, microversions, both URL forms, and Cinder's error bodies."""

from __future__ import annotations

from tests.functional.volume.conftest import VolumeCloud, fault


async def test_version_documents(cloud: VolumeCloud) -> None:
    root = await cloud.call("GET", "/", token=None, version=None)
    assert root.status_code == 300
    (v3,) = root.json()["versions"]
    assert v3["id"] == "v3.0" and v3["min_version"] == "3.0" and v3["version"] == "3.71"
    assert v3["links"][-1]["href"] == "http://volume/v3/"
    for path in ("/v3", "/v3/"):
        resp = await cloud.call("GET", path, token=None, version=None)
        assert resp.status_code == 200
        assert resp.json()["versions"][0]["id"] == "v3.0"


async def test_microversion_header_echoed_and_range_enforced(cloud: VolumeCloud) -> None:
    resp = await cloud.call("GET", "/v3/volumes", version="3.50")
    assert resp.headers["OpenStack-API-Version"] == "volume 3.50"
    default = await cloud.call("GET", "/v3/volumes", version=None)
    assert default.headers["OpenStack-API-Version"] == "volume 3.0"
    too_new = await cloud.call("GET", "/v3/volumes", version="3.72")
    assert too_new.status_code == 406


async def test_project_id_in_url_must_be_the_callers(cloud: VolumeCloud) -> None:
    made = await cloud.available_volume()
    with_project = await cloud.call("GET", f"/v3/project-a/volumes/{made['id']}")
    assert with_project.status_code == 200
    assert with_project.json()["volume"]["id"] == made["id"]
    wrong = await cloud.call("GET", f"/v3/project-b/volumes/{made['id']}")
    assert fault(wrong) == ("badRequest", 400, "Malformed request url")


async def test_errors_have_cinder_bodies(cloud: VolumeCloud) -> None:
    missing = await cloud.call("GET", "/v3/volumes/00000000-0000-0000-0000-000000000000")
    key, code, message = fault(missing)
    assert (key, code) == ("itemNotFound", 404)
    assert "could not be found" in message
    unauthenticated = await cloud.call("GET", "/v3/volumes", token=None)
    assert fault(unauthenticated)[:2] == ("unauthorized", 401)
    bad_json = await cloud.client.post(  # type: ignore[union-attr]
        "/v3/volumes",
        content=b"{not json",
        headers={"X-Auth-Token": "member", "Content-Type": "application/json"},
    )
    assert fault(bad_json)[:2] == ("badRequest", 400)


async def test_extensions_and_limits(cloud: VolumeCloud) -> None:
    aliases = {e["alias"] for e in (await cloud.ok("GET", "/v3/extensions"))["extensions"]}
    assert {"os-volume-actions", "os-vol-image-meta", "os-quota-sets"} <= aliases
    await cloud.available_volume(size=2)
    limits = (await cloud.ok("GET", "/v3/limits"))["limits"]["absolute"]
    assert limits["totalVolumesUsed"] == 1 and limits["totalGigabytesUsed"] == 2
    assert limits["maxTotalVolumes"] == 10
