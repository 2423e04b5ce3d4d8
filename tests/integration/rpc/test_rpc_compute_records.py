"""Compute's typed records and failed-cast hook on every transport (memory, RabbitMQ)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest

from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import GetInstance
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import Message, RemoteError, RpcServer, handles
from tests.integration.rpc.harness import RpcHarness
from tests.integration.rpc.test_rpc import Echo, Fail, eventually

pytestmark = pytest.mark.timeout(60)
CTXT = RequestContext(user_id="u1", project_id="p1")
RECORD = InstanceRecord(
    uuid="u-1", display_name="vm", description=None, hostname="vm", project_id="p",
    user_id="u", image_ref="img", flavor={"vcpus": 1, "extra_specs": {"a": "b"}},
    old_flavor=None, new_flavor=None, vm_state="active", task_state="pausing",
    power_state=1, host="h1", node="n1", availability_zone=None, key_name="k",
    key_data="ssh-ed25519 AAAA", user_data=None, config_drive=True, metadata={"k": "v"},
    system_metadata={"shelved_at": "1"}, tags=["t"], request_spec={}, network_info=[],
    locked=False, locked_by=None, locked_reason=None, progress=0, reservation_id="r-1",
    launch_index=0, access_ip_v4=None, access_ip_v6=None, created_at=1.5,
    updated_at=None, launched_at=2.5, terminated_at=None, deleted_at=None, deleted=False,
)  # fmt: skip


@dataclass
class Unknown(Message):
    """test client -> test server, cast: no handler exists for it."""

    name = "Unknown"
    instance_uuid: str


class Conductor:
    """Answers GetInstance with a fixed record; echoes and fails like the contract tests."""

    @handles(GetInstance)
    async def get_instance(self, ctxt: RequestContext, msg: GetInstance) -> InstanceRecord:
        return dataclasses.replace(RECORD, uuid=msg.instance_uuid)

    @handles(Echo)
    async def echo(self, ctxt: RequestContext, msg: Echo) -> Any:
        return msg.value

    @handles(Fail)
    async def fail(self, ctxt: RequestContext, msg: Fail) -> None:
        raise ValueError("boom")


async def test_an_instance_record_crosses_the_bus_whole(rpc: RpcHarness) -> None:
    await rpc.server(Conductor())
    client = await rpc.client()
    reply = await client.call(CTXT, GetInstance(instance_uuid="u-2"))
    assert InstanceRecord.from_wire(reply) == dataclasses.replace(RECORD, uuid="u-2")


async def test_failed_casts_reach_the_hook_and_failed_calls_do_not(rpc: RpcHarness) -> None:
    heard: list[tuple[str, dict[str, Any], str]] = []

    async def hook(
        ctxt: RequestContext, name: str, args: dict[str, Any], exc: BaseException
    ) -> None:
        heard.append((name, args, str(exc)))

    server = RpcServer(
        await rpc.transport(), rpc.topic, Conductor(), service="test", on_failed_cast=hook
    )
    await server.start()
    try:
        client = await rpc.client()
        await client.cast(CTXT, Unknown(instance_uuid="u-3"))
        await client.cast(CTXT, Fail(expected=False))
        with pytest.raises(RemoteError):
            await client.call(CTXT, Fail(expected=False))
        await eventually(lambda: len(heard) >= 2)
        assert await client.call(CTXT, Echo("after")) == "after"
    finally:
        await server.stop()
    assert sorted(heard) == [
        ("Fail", {"expected": False}, "boom"),
        ("Unknown", {"instance_uuid": "u-3"}, "no handler for message 'Unknown'"),
    ]
