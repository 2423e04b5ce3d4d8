"""Sessions end with their token, after idleness if set, and on drop."""

from __future__ import annotations

from nimbostack.clients.identity_auth import Token
from nimbostack.dashboard.session import SessionStore


def _token(expires: float) -> Token:
    return Token("tok", expires, "u", "user", "default", "Default", ("member",), "p", "proj")


def test_a_session_ends_when_its_token_expires() -> None:
    store = SessionStore()
    session = store.create(_token(1000.0), _token(100.0))
    assert store.get(session.sid, now=99.0) is session
    assert store.get(session.sid, now=100.0) is None
    assert not store.known(session.sid)


def test_idle_sessions_end_and_sweep_removes_the_expired() -> None:
    store = SessionStore(idle_timeout=10.0)
    idle = store.create(_token(1000.0), _token(1000.0))
    busy = store.create(_token(1000.0), _token(1000.0))
    idle.last_seen = busy.last_seen = 0.0
    assert store.get(busy.sid, now=9.0) is busy
    assert [s.sid for s in store.sweep(now=15.0)] == [idle.sid]
    assert store.get(busy.sid, now=15.0) is busy


def test_session_ids_and_csrf_secrets_are_unguessable_and_distinct() -> None:
    store = SessionStore()
    one = store.create(_token(1e12), _token(1e12))
    two = store.create(_token(1e12), _token(1e12))
    assert len(one.sid) >= 40 and one.sid != two.sid and one.csrf != two.csrf != one.sid


def test_flashes_are_shown_once() -> None:
    session = SessionStore().create(_token(1e12), _token(1e12))
    session.flash("ok", "done")
    assert session.take_flashes() == [("ok", "done")] and session.take_flashes() == []
