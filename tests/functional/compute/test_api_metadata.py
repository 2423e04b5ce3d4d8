"""The metadata API: signed instance identification, OpenStack and EC2 paths."""

from __future__ import annotations

import base64
import json

import httpx

from nimbostack.compute.metadata.handlers import sign
from nimbostack.compute.service import METADATA_API
from nimbostack.core.service import api_app
from tests.functional.compute.api_support import Compute, api

__all__ = ["api"]


async def test_metadata_serves_the_signed_instance(api: Compute) -> None:
    api.state.conf.override("compute", metadata_proxy_shared_secret="s3cret")
    user_data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    uuid = await api.boot(name="meta-vm", user_data=user_data, metadata={"role": "web"})
    app = api_app(METADATA_API, api.state, validator=None, enforcer=None)
    transport = httpx.ASGITransport(app=app)
    headers = {"X-Instance-ID": uuid, "X-Instance-ID-Signature": sign("s3cret", uuid)}
    async with httpx.AsyncClient(transport=transport, base_url="http://meta") as client:
        meta = await client.get("/openstack/latest/meta_data.json", headers=headers)
        assert meta.status_code == 200
        body = json.loads(meta.text)
        assert body["uuid"] == uuid and body["name"] == "meta-vm"
        assert body["meta"] == {"role": "web"}
        data = await client.get("/openstack/latest/user_data", headers=headers)
        assert data.content == b"#!/bin/sh\necho hi\n"
        ec2 = await client.get("/latest/meta-data/hostname", headers=headers)
        assert ec2.text == "meta-vm"
        forged = {"X-Instance-ID": uuid, "X-Instance-ID-Signature": sign("wrong", uuid)}
        refused = await client.get("/openstack/latest/meta_data.json", headers=forged)
        assert refused.status_code == 404
