"""The metadata API: signed instance identification, OpenStack and EC2 paths."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from nimbostack.compute.db.models import Instance
from nimbostack.compute.service import METADATA_API
from nimbostack.core.metadata import sign
from nimbostack.core.service import api_app
from tests.functional.compute.api_support import Compute, api

__all__ = ["api"]

SECRET = "s3cret"


@pytest.fixture
async def meta(api: Compute) -> AsyncIterator[httpx.AsyncClient]:
    api.state.conf.override("metadata", shared_secret=SECRET)
    app = api_app(METADATA_API, api.state, validator=None, enforcer=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://meta") as client:
        yield client


def signed(uuid: str, secret: str = SECRET) -> dict[str, str]:
    return {"X-Instance-ID": uuid, "X-Instance-ID-Signature": sign(secret, uuid)}


async def test_metadata_serves_the_signed_instance(api: Compute, meta: httpx.AsyncClient) -> None:
    user_data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    uuid = await api.boot(name="meta-vm", user_data=user_data, metadata={"role": "web"})
    found = await meta.get("/openstack/latest/meta_data.json", headers=signed(uuid))
    assert found.status_code == 200
    body = json.loads(found.text)
    assert body["uuid"] == uuid and body["name"] == "meta-vm"
    assert body["meta"] == {"role": "web"}
    data = await meta.get("/openstack/latest/user_data", headers=signed(uuid))
    assert data.content == b"#!/bin/sh\necho hi\n"
    ec2 = await meta.get("/latest/meta-data/hostname", headers=signed(uuid))
    assert ec2.text == "meta-vm"


async def _refused(meta: httpx.AsyncClient, headers: dict[str, str]) -> None:
    resp = await meta.get("/openstack/latest/meta_data.json", headers=headers)
    assert resp.status_code == 403, resp.text
    assert resp.json()["forbidden"]["code"] == 403
    assert "signed" in resp.json()["forbidden"]["message"]


async def test_a_forged_signature_is_forbidden(api: Compute, meta: httpx.AsyncClient) -> None:
    uuid = await api.boot(name="meta-vm")
    await _refused(meta, signed(uuid, "wrong"))
    await _refused(meta, {"X-Instance-ID": uuid})


async def test_an_unsigned_client_address_identifies_nothing(
    api: Compute, meta: httpx.AsyncClient
) -> None:
    uuid = await api.boot(name="meta-vm")
    async with api.state.db.session() as s:
        row = await s.get(Instance, uuid)
        assert row is not None
        row.network_info = [{"ips": [{"address": "10.0.0.5"}]}]
    await _refused(meta, {"X-Forwarded-For": "10.0.0.5"})


async def test_no_secret_refuses_even_a_signature_under_the_empty_one(
    api: Compute, meta: httpx.AsyncClient
) -> None:
    api.state.conf.override("metadata", shared_secret="")
    uuid = await api.boot(name="meta-vm")
    await _refused(meta, signed(uuid, ""))


async def test_another_projects_tenant_header_is_not_found(
    api: Compute, meta: httpx.AsyncClient
) -> None:
    uuid = await api.boot(name="meta-vm")
    async with api.state.db.session() as s:
        row = await s.get(Instance, uuid)
        assert row is not None
        owner = row.project_id
    path = "/openstack/latest/meta_data.json"
    own = await meta.get(path, headers={**signed(uuid), "X-Tenant-ID": owner})
    assert own.status_code == 200
    other = await meta.get(path, headers={**signed(uuid), "X-Tenant-ID": "someone-else"})
    assert other.status_code == 404
