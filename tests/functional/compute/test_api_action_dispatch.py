"""The server-action dispatch: unknown names, and each action's own policy rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from nimbostack.compute import policies
from nimbostack.compute.messages import TerminateInstance
from nimbostack.compute.service import API
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.service import api_app
from tests.functional.compute.api_support import Compute, StubValidator, api, fault, make_state

__all__ = ["api"]


@pytest.fixture
async def policy_api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Compute]:
    """The compute API with the rule ``request.param`` refused to everyone."""
    policy = tmp_path / "compute.yaml"
    policy.write_text(f'"{request.param}": "!"\n')
    state = await make_state(tmp_path)
    state.enforcer = Enforcer(policies.rules(), policy)
    app = api_app(API, state, validator=StubValidator(), enforcer=state.enforcer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compute.test") as client:
        yield Compute(client, state)
    await state.db.close()


async def _force_delete(api: Compute) -> tuple[str, httpx.Response]:
    uuid = await api.active()
    await api.set_state(uuid, vm_state="soft-delete")
    return uuid, await api.call("POST", f"/servers/{uuid}/action", {"forceDelete": None})


async def test_unknown_action_is_a_400_naming_it(api: Compute) -> None:
    uuid = await api.active()
    resp = await api.call("POST", f"/servers/{uuid}/action", {"os-frobnicate": None})
    assert resp.status_code == 400
    assert fault(resp)["message"] == "There is no such action: os-frobnicate"


@pytest.mark.parametrize("policy_api", ["os_compute_api:servers:delete"], indirect=True)
async def test_force_delete_checks_its_own_rule_not_the_delete_rule(policy_api: Compute) -> None:
    uuid, resp = await _force_delete(policy_api)
    assert resp.status_code == 204, resp.text
    sent = policy_api.state.rpc.last()
    assert isinstance(sent, TerminateInstance) and sent.instance_uuid == uuid


@pytest.mark.parametrize("policy_api", ["os_compute_api:os-deferred-delete:force"], indirect=True)
async def test_force_delete_is_refused_by_its_rule(policy_api: Compute) -> None:
    _uuid, resp = await _force_delete(policy_api)
    assert resp.status_code == 403
    assert fault(resp)["message"] == (
        "You are not authorized to perform the requested action: "
        "os_compute_api:os-deferred-delete:force."
    )
