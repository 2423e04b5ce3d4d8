"""adminPass: answered only when the guest really gets it, kept nowhere; changePassword."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select

from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import BuildInstances, RebuildInstance
from nimbostack.compute.objects import instances
from tests.functional.compute.api_support import GUEST, Compute, api, fault

__all__ = ["api"]
BODY = {"name": "vm", "imageRef": GUEST, "flavorRef": "42", "networks": "none"}


async def _create(api: Compute, **server: object) -> tuple[dict[str, object], BuildInstances]:
    resp = await api.call("POST", "/servers", {"server": {**BODY, **server}})
    assert resp.status_code == 202, resp.text
    msg = api.state.rpc.last()
    assert isinstance(msg, BuildInstances)
    return resp.json()["server"], msg


async def _kept(api: Compute, text: str) -> bool:
    async with api.state.db.reader() as s:
        rows = list(await s.scalars(select(Instance)))
    return any(
        text in json.dumps(dataclasses.asdict(instances.to_record(row)), default=str)
        for row in rows
    )


async def test_a_generated_password_is_handed_over_and_answered_not_kept(api: Compute) -> None:
    shown, msg = await _create(api)
    password = shown["adminPass"]
    assert isinstance(password, str) and len(password) >= 12
    assert msg.admin_pass == password
    assert not await _kept(api, password)


async def test_a_given_password_is_the_one_handed_over(api: Compute) -> None:
    shown, msg = await _create(api, adminPass="My-Own-Pass-1")
    assert shown["adminPass"] == msg.admin_pass == "My-Own-Pass-1"
    assert not await _kept(api, "My-Own-Pass-1")


async def test_without_a_config_drive_no_password_is_made_or_shown(api: Compute) -> None:
    api.state.conf.override("compute", force_config_drive=False)
    shown, msg = await _create(api, adminPass="Cannot-Be-Set-1")
    assert "adminPass" not in shown and msg.admin_pass is None
    shown, msg = await _create(api, config_drive=True)
    assert shown["adminPass"] == msg.admin_pass and msg.admin_pass


async def test_with_instance_passwords_disabled_none_is_made_or_shown(api: Compute) -> None:
    api.state.conf.override("compute", enable_instance_password=False)
    shown, msg = await _create(api)
    assert "adminPass" not in shown and msg.admin_pass is None
    shown, msg = await _create(api, adminPass="Given-But-Hidden-1")
    assert "adminPass" not in shown and msg.admin_pass == "Given-But-Hidden-1"


async def test_rebuild_hands_over_its_password(api: Compute) -> None:
    uuid = await api.active()
    body = {"rebuild": {"imageRef": GUEST, "adminPass": "Rebuilt-Pass-1"}}
    resp = await api.call("POST", f"/servers/{uuid}/action", body)
    assert resp.status_code == 202, resp.text
    assert resp.json()["server"]["adminPass"] == "Rebuilt-Pass-1"
    msg = api.state.rpc.last()
    assert isinstance(msg, RebuildInstance) and msg.admin_pass == "Rebuilt-Pass-1"
    assert not await _kept(api, "Rebuilt-Pass-1")


async def test_rescue_answers_no_password_it_does_not_set(api: Compute) -> None:
    uuid = await api.active()
    resp = await api.call("POST", f"/servers/{uuid}/action", {"rescue": {"adminPass": "x-1"}})
    assert resp.status_code == 200 and resp.json() == {}


async def test_change_password_is_refused_as_nova_does_without_a_guest_agent(
    api: Compute,
) -> None:
    uuid = await api.active()
    path = f"/servers/{uuid}/action"
    resp = await api.call("POST", path, {"changePassword": {"adminPass": "New-Pass-1"}})
    assert resp.status_code == 409
    assert fault(resp)["message"] == "QEMU guest agent is not enabled"
    assert (await api.call("POST", path, {"changePassword": {}})).status_code == 400
    assert (
        await api.call("POST", path, {"changePassword": {"adminPass": "x"}}, token="bob")
    ).status_code == 404
    await api.set_state(uuid, vm_state="stopped")
    stopped = await api.call("POST", path, {"changePassword": {"adminPass": "New-Pass-1"}})
    assert stopped.status_code == 409 and "vm_state stopped" in fault(stopped)["message"]


async def test_server_password_is_empty_and_clears(api: Compute) -> None:
    uuid = await api.active()
    shown = await api.call("GET", f"/servers/{uuid}/os-server-password")
    assert shown.status_code == 200 and shown.json() == {"password": ""}
    assert (await api.call("DELETE", f"/servers/{uuid}/os-server-password")).status_code == 204
    assert (
        await api.call("GET", f"/servers/{uuid}/os-server-password", token="bob")
    ).status_code == 404
