"""Passwords checked outside a login (the change endpoint) obey lockout, even concurrently."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.functional.identity.conftest import error
from tests.functional.identity.local import LocalIdentity, Member, local_identity
from tests.support.postgres import PostgresCluster

ATTEMPTS = 3
UNAUTHORIZED = "The request you have made requires authentication."


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def strict(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LocalIdentity]:
    """Identity with lockout on, on SQLite and on PostgreSQL (the count is one UPDATE)."""
    # A lockout far longer than any test: nothing here depends on the clock.
    rules = {"lockout_failure_attempts": ATTEMPTS, "lockout_duration": 3600}
    identity: dict[str, str] = {}
    if request.param == "postgres":
        postgres: PostgresCluster = request.getfixturevalue("postgres_server")
        name = f"lockout_{uuid.uuid4().hex[:8]}"
        identity["connection"] = postgres.create_database(name)
        request.addfinalizer(lambda: postgres.drop_database(name))
    async with local_identity(tmp_path, security_compliance=rules, identity=identity) as local:
        assert local.state.db.is_sqlite == (request.param == "sqlite")
        yield local


def _locked(user: Member) -> tuple[int, str]:
    return 401, f"The account is locked for user: {user.user_id}."


async def _change(keystone: LocalIdentity, user: Member, original: str, new: str) -> httpx.Response:
    body = {"user": {"original_password": original, "password": new}}
    return await keystone.call("POST", f"/users/{user.user_id}/password", body)


async def test_wrong_guesses_at_the_change_endpoint_lock_the_account(
    strict: LocalIdentity,
) -> None:
    user = await strict.member()
    for n in range(ATTEMPTS):
        resp = await _change(strict, user, f"guess-{n}", "new-pass-1")
        assert error(resp) == (401, UNAUTHORIZED)
    assert error(await strict.login(user.name, user.password)) == _locked(user)
    assert error(await _change(strict, user, user.password, "new-pass-2")) == _locked(user)


async def test_a_locked_account_cannot_change_its_password(strict: LocalIdentity) -> None:
    user = await strict.member()
    for n in range(ATTEMPTS):
        assert error(await strict.login(user.name, f"guess-{n}")) == (401, UNAUTHORIZED)
    assert error(await _change(strict, user, user.password, "new-pass-3")) == _locked(user)
    # The password did not change: once an admin unlocks the user (by enabling it, as in
    # Keystone), the old password works and the new one does not.
    admin = await strict.admin()
    body = {"user": {"enabled": True}}
    path = f"/users/{user.user_id}"
    assert (await strict.call("PATCH", path, body, token=admin)).status_code == 200
    assert error(await strict.login(user.name, "new-pass-3")) == (401, UNAUTHORIZED)
    assert (await strict.login(user.name, user.password)).status_code == 201


async def test_a_right_change_resets_the_count(strict: LocalIdentity) -> None:
    user = await strict.member()
    for n in range(ATTEMPTS - 1):
        assert (await _change(strict, user, f"guess-{n}", "x-pass-1")).status_code == 401
    assert (await _change(strict, user, user.password, "next-pass-4")).status_code == 204
    for n in range(ATTEMPTS - 1):
        assert (await strict.login(user.name, f"guess-{n}")).status_code == 401
    assert (await strict.login(user.name, "next-pass-4")).status_code == 201


async def test_concurrent_guesses_get_no_more_tries_than_allowed(strict: LocalIdentity) -> None:
    user = await strict.member()
    guesses = [strict.login(user.name, f"guess-{n}") for n in range(4 * ATTEMPTS)]
    answers = [error(resp) for resp in await asyncio.gather(*guesses)]
    assert answers.count((401, UNAUTHORIZED)) == ATTEMPTS
    assert answers.count(_locked(user)) == 3 * ATTEMPTS


async def test_ignore_lockout_option_exempts_a_user(strict: LocalIdentity) -> None:
    user = await strict.member()
    admin = await strict.admin()
    body = {"user": {"options": {"ignore_lockout_failure_attempts": True}}}
    assert (await strict.call("PATCH", f"/users/{user.user_id}", body, token=admin)).is_success
    for n in range(2 * ATTEMPTS):
        assert error(await strict.login(user.name, f"guess-{n}")) == (401, UNAUTHORIZED)
    assert (await strict.login(user.name, user.password)).status_code == 201


async def test_concurrent_changes_from_one_password_make_one_change(
    strict: LocalIdentity,
) -> None:
    user = await strict.member()
    # The losers' old password is wrong once the winner commits: each is a failed
    # attempt, so stay below the lockout threshold or the winner's login is refused.
    news = [f"changed-{n}-pass" for n in range(ATTEMPTS)]
    answers = await asyncio.gather(*(_change(strict, user, user.password, new) for new in news))
    codes = [resp.status_code for resp in answers]
    assert sorted(codes) == [204] + [401] * (ATTEMPTS - 1), [r.text for r in answers]
    winner = news[codes.index(204)]
    assert (await strict.login(user.name, winner)).status_code == 201
    loser = next(new for new in news if new != winner)
    assert error(await strict.login(user.name, loser)) == (401, UNAUTHORIZED)
