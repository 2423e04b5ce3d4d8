"""[security_compliance]: lockout, password rules and history, change on first use."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from nimbostack.identity.db.models import User
from tests.support.cloud import CloudAccess
from tests.support.local_cloud import LocalCloud, local_cloud

RULES = {
    "NIMBOSTACK_SECURITY_COMPLIANCE__LOCKOUT_FAILURE_ATTEMPTS": "2",
    # Long: the lock's end is reached by moving its start back, never by waiting.
    "NIMBOSTACK_SECURITY_COMPLIANCE__LOCKOUT_DURATION": "3600",
    "NIMBOSTACK_SECURITY_COMPLIANCE__UNIQUE_LAST_PASSWORD_COUNT": "2",
    "NIMBOSTACK_SECURITY_COMPLIANCE__PASSWORD_REGEX": "^(?=.*[0-9]).{8,}$",
    "NIMBOSTACK_SECURITY_COMPLIANCE__PASSWORD_REGEX_DESCRIPTION": (
        "at least 8 characters with a digit"
    ),
    "NIMBOSTACK_SECURITY_COMPLIANCE__CHANGE_PASSWORD_UPON_FIRST_USE": "true",
}


@pytest.fixture(scope="module")
def strict(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCloud]:
    with local_cloud(request, tmp_path_factory, ("identity",), RULES) as running:
        yield running


def _locked_since(cloud: LocalCloud, user_id: str, seconds: float) -> None:
    """Move the start of the user's lock ``seconds`` into the past."""

    async def move() -> None:
        async with cloud.services[0].state.db.session() as session:
            when = time.time() - seconds
            await session.execute(
                update(User).where(User.id == user_id).values(failed_auth_at=when)
            )

    cloud.run(move())


def _login(cloud: CloudAccess, name: str, password: str) -> httpx.Response:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": name, "domain": {"id": "default"}, "password": password}
                },
            }
        }
    }
    return httpx.post(f"{cloud.auth_url}/auth/tokens", json=body, timeout=30)


def _admin(cloud: CloudAccess) -> dict[str, str]:
    return {"X-Auth-Token": cloud.admin_token()}


def _new_user(cloud: CloudAccess, password: str = "first-pass-1") -> dict[str, Any]:
    name = f"sc-{uuid.uuid4().hex[:8]}"
    resp = httpx.post(
        f"{cloud.auth_url}/users",
        headers=_admin(cloud),
        json={"user": {"name": name, "password": password}},
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["user"])


def _change_own(cloud: CloudAccess, user: dict[str, Any], old: str, new: str) -> httpx.Response:
    return httpx.post(
        f"{cloud.auth_url}/users/{user['id']}/password",
        json={"user": {"original_password": old, "password": new}},
    )


def test_password_regex_is_enforced_with_its_description(strict: LocalCloud) -> None:
    resp = httpx.post(
        f"{strict.auth_url}/users",
        headers=_admin(strict),
        json={"user": {"name": f"weak-{uuid.uuid4().hex[:6]}", "password": "short"}},
    )
    assert resp.status_code == 400
    assert "at least 8 characters with a digit" in resp.json()["error"]["message"]


def test_first_use_requires_a_change_then_history_applies(strict: LocalCloud) -> None:
    user = _new_user(strict)
    first = _login(strict, user["name"], "first-pass-1")
    assert first.status_code == 401
    assert "expired" in first.json()["error"]["message"]
    assert _change_own(strict, user, "first-pass-1", "second-pass-2").status_code == 204
    assert _login(strict, user["name"], "second-pass-2").status_code == 201
    reused = _change_own(strict, user, "second-pass-2", "first-pass-1")
    assert reused.status_code == 400
    assert "previous password" in reused.json()["error"]["message"]


def test_lockout_after_failures_then_unlocks(strict: LocalCloud) -> None:
    user = _new_user(strict)
    assert _change_own(strict, user, "first-pass-1", "lock-pass-3").status_code == 204
    for _ in range(2):
        assert _login(strict, user["name"], "wrong-pass-9").status_code == 401
    locked = _login(strict, user["name"], "lock-pass-3")
    assert locked.status_code == 401
    assert "locked" in locked.json()["error"]["message"]
    duration = strict.conf.security_compliance.lockout_duration
    _locked_since(strict, user["id"], duration - 60)
    assert _login(strict, user["name"], "lock-pass-3").status_code == 401  # still locked
    _locked_since(strict, user["id"], duration + 1)
    assert _login(strict, user["name"], "lock-pass-3").status_code == 201


def test_disabled_user_cannot_get_a_token(strict: LocalCloud) -> None:
    user = _new_user(strict)
    assert _change_own(strict, user, "first-pass-1", "fine-pass-4").status_code == 204
    off = httpx.patch(
        f"{strict.auth_url}/users/{user['id']}",
        headers=_admin(strict),
        json={"user": {"enabled": False}},
    )
    assert off.status_code == 200
    resp = _login(strict, user["name"], "fine-pass-4")
    assert resp.status_code == 401
    assert resp.json()["error"]["message"] == "The request you have made requires authentication."
