"""Console access tokens: short-lived, HMAC-signed, naming the guest's VNC host and port.

The compute API issues a token when a user asks for a console URL; the proxy
verifies it and connects to the address inside. Tokens are stateless (no table):
anyone holding the secret in ``<data_dir>/console-secret`` can issue and check
them, so the API and the proxy share that file (or its content, across machines).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

SECRET_FILE = "console-secret"
DEFAULT_TTL = 600


class InvalidConsoleToken(Exception):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class ConsoleTarget:
    """What a token grants: the console of one guest, until ``expires``."""

    instance_uuid: str
    host: str
    port: int
    kind: str
    expires: float


def load_secret(data_dir: Path) -> bytes:
    """The signing secret, created (0600) on first use."""
    path = data_dir / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def issue_token(
    secret: bytes,
    instance_uuid: str,
    host: str,
    port: int,
    *,
    kind: str = "novnc",
    ttl: float = DEFAULT_TTL,
) -> str:
    """A token granting the console at host:port of instance_uuid for ttl seconds."""
    target = ConsoleTarget(instance_uuid, host, int(port), kind, time.time() + ttl)
    payload = _b64(json.dumps(asdict(target), separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify_token(secret: bytes, token: str) -> ConsoleTarget:
    """The target of a valid token; InvalidConsoleToken otherwise."""
    payload, _, signature = token.partition(".")
    if not payload or not hmac.compare_digest(signature, _sign(secret, payload)):
        raise InvalidConsoleToken("invalid console token")
    try:
        target = ConsoleTarget(**json.loads(_unb64(payload)))
    except (ValueError, TypeError, binascii.Error):
        raise InvalidConsoleToken("invalid console token") from None
    if target.expires < time.time():
        raise InvalidConsoleToken("console token expired")
    return target


def issue_console_token(
    data_dir: Path, instance_uuid: str, host: str, port: int, *, ttl: float = DEFAULT_TTL
) -> str:
    """For the compute API: a token with the secret of this data directory."""
    return issue_token(load_secret(data_dir), instance_uuid, host, port, ttl=ttl)


def console_url(base_url: str, token: str) -> str:
    """The browser URL: noVNC's page, told to open the websocket at ``/?token=...``."""
    return f"{base_url}?path={quote('?token=' + token, safe='')}"
