"""Unit tests of console tokens (signing, expiry, tampering) and the console log helpers."""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from nimbostack.compute.agent.drivers.qemu import console
from nimbostack.compute.console.tokens import (
    InvalidConsoleToken,
    console_url,
    issue_console_token,
    issue_token,
    load_secret,
    verify_token,
)

SECRET = b"k" * 32


def test_token_round_trip() -> None:
    token = issue_token(SECRET, "uuid-1", "10.0.0.5", 5901)
    target = verify_token(SECRET, token)
    assert (target.instance_uuid, target.host, target.port) == ("uuid-1", "10.0.0.5", 5901)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "invalid console token"),
        ("garbage", "invalid console token"),
        ("a.b", "invalid console token"),
    ],
)
def test_malformed_tokens_are_refused(token: str, message: str) -> None:
    with pytest.raises(InvalidConsoleToken, match=message):
        verify_token(SECRET, token)


def test_tampered_token_is_refused() -> None:
    payload, _, signature = issue_token(SECRET, "u", "127.0.0.1", 5900).partition(".")
    forged = issue_token(SECRET, "u", "10.9.9.9", 22).split(".")[0]
    with pytest.raises(InvalidConsoleToken, match="invalid"):
        verify_token(SECRET, f"{forged}.{signature}")
    with pytest.raises(InvalidConsoleToken, match="invalid"):
        verify_token(b"other-secret", f"{payload}.{signature}")


def test_expired_token_is_refused() -> None:
    with pytest.raises(InvalidConsoleToken, match="expired"):
        verify_token(SECRET, issue_token(SECRET, "u", "127.0.0.1", 5900, ttl=-1))


def test_secret_is_created_once_and_private(tmp_path: Path) -> None:
    secret = load_secret(tmp_path)
    assert len(secret) == 32 and load_secret(tmp_path) == secret
    assert stat.S_IMODE((tmp_path / "console-secret").stat().st_mode) == 0o600
    token = issue_console_token(tmp_path, "u", "127.0.0.1", 5900)
    assert verify_token(secret, token).port == 5900


def test_console_url_points_novnc_at_the_token() -> None:
    url = console_url("http://h:6080/vnc_lite.html", "abc.def")
    assert parse_qs(urlsplit(url).query)["path"] == ["?token=abc.def"]


def test_trim_keeps_the_newest_whole_lines(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"".join(b"line %05d\n" % n for n in range(1000)))
    assert console.trim(log, 4096)
    data = log.read_bytes()
    assert len(data) <= 2048 and data.endswith(b"line 00999\n")
    assert data.startswith(b"line ")
    assert not console.trim(log, 4096)


def test_tail_lines(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    log.write_bytes(b"a\r\nb\nc\n")
    assert console.tail_lines(log, 2, 4096) == "b\nc\n"
    assert console.tail_lines(log, None, 4096) == "a\nb\nc\n"
    assert console.tail_lines(log, 0, 4096) == ""
    assert console.tail_lines(tmp_path / "missing", 5, 4096) == ""
