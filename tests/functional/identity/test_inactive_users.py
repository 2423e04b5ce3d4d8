"""[security_compliance] disable_user_account_days_inactive: idle users are disabled."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from nimbostack.identity.db.models import User
from tests.functional.identity.conftest import error
from tests.functional.identity.local import LocalIdentity, Member, local_identity

UNAUTHORIZED = (401, "The request you have made requires authentication.")


@pytest.fixture
async def idle(tmp_path: Path) -> AsyncIterator[LocalIdentity]:
    rules = {"disable_user_account_days_inactive": 7}
    async with local_identity(tmp_path, security_compliance=rules) as identity:
        yield identity


async def _idle_for(keystone: LocalIdentity, user: Member, days: float) -> None:
    """Make the user's last activity ``days`` old (time passing, without waiting)."""
    then = time.time() - days * 86400
    async with keystone.state.db.session() as session:
        stmt = update(User).where(User.id == user.user_id)
        await session.execute(stmt.values(last_active_at=then, created_at=then))
    # Caches of derived data expire after [identity] cache_time; here, at once.
    keystone.state.changed()


async def test_an_idle_user_is_refused_everywhere(idle: LocalIdentity) -> None:
    user = await idle.member()
    token = await idle.token(user.name, user.password, user.project_id)
    path = f"/users/{user.user_id}/application_credentials"
    made = await idle.call("POST", path, {"application_credential": {"name": "a"}}, token=token)
    cred = made.json()["application_credential"]
    await _idle_for(idle, user, 8)
    assert error(await idle.login(user.name, user.password)) == UNAUTHORIZED
    change = {"user": {"original_password": user.password, "password": "other-pass-1"}}
    resp = await idle.call("POST", f"/users/{user.user_id}/password", change)
    assert error(resp) == UNAUTHORIZED
    assert error(await idle.app_cred_login(cred)) == UNAUTHORIZED
    admin = await idle.admin()
    check = await idle.call("HEAD", "/auth/tokens", token=admin, headers={"X-Subject-Token": token})
    assert check.status_code == 404
    shown = await idle.call("GET", f"/users/{user.user_id}", token=admin)
    assert shown.json()["user"]["enabled"] is False


async def test_an_admin_enabling_the_user_lets_it_in_again(idle: LocalIdentity) -> None:
    user = await idle.member()
    await _idle_for(idle, user, 8)
    body = {"user": {"enabled": True}}
    resp = await idle.call("PATCH", f"/users/{user.user_id}", body, token=await idle.admin())
    assert resp.status_code == 200 and resp.json()["user"]["enabled"] is True
    assert (await idle.login(user.name, user.password)).status_code == 201


async def test_activity_within_the_limit_and_exempt_users_pass(idle: LocalIdentity) -> None:
    recent, exempt = await idle.member(), await idle.member()
    body = {"user": {"options": {"ignore_user_inactivity": True}}}
    path = f"/users/{exempt.user_id}"
    assert (await idle.call("PATCH", path, body, token=await idle.admin())).status_code == 200
    await _idle_for(idle, recent, 6)
    await _idle_for(idle, exempt, 30)
    for user in (recent, exempt):
        assert (await idle.login(user.name, user.password)).status_code == 201
