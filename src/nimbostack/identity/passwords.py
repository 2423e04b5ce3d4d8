"""Password hashing (bcrypt) and the [security_compliance] rules for new passwords."""

from __future__ import annotations

import asyncio
import re
import time

import bcrypt

from nimbostack.core.config import Section
from nimbostack.core.errors import BadRequest

# bcrypt only reads the first 72 bytes; longer secrets are pre-hashed so every byte counts.
_BCRYPT_MAX = 72


def _prepare(secret: str) -> bytes:
    raw = secret.encode()
    if len(raw) > _BCRYPT_MAX:
        import base64
        import hashlib

        raw = base64.b64encode(hashlib.sha256(raw).digest())
    return raw


def hash_password(secret: str, rounds: int) -> str:
    """Blocking: hash a secret with bcrypt at the given cost."""
    return bcrypt.hashpw(_prepare(secret), bcrypt.gensalt(rounds)).decode()


def verify_password(secret: str, hashed: str) -> bool:
    """Blocking: check a secret against a stored bcrypt hash."""
    try:
        return bcrypt.checkpw(_prepare(secret), hashed.encode())
    except ValueError:
        return False


async def hash_password_async(secret: str, rounds: int) -> str:
    return await asyncio.to_thread(hash_password, secret, rounds)


async def verify_password_async(secret: str, hashed: str) -> bool:
    # bcrypt releases the GIL, so verifications run in parallel on several cores.
    return await asyncio.to_thread(verify_password, secret, hashed)


def check_password_rules(secret: str, rules: Section) -> None:
    """Raise BadRequest when a new password breaks the configured regex."""
    if rules.password_regex and not re.match(rules.password_regex, secret):
        detail = rules.password_regex_description or f"must match {rules.password_regex}"
        raise BadRequest(f"The password does not meet the requirements: {detail}")


def expiry_for_new_password(rules: Section, now: float | None = None) -> float | None:
    if not rules.password_expires_days:
        return None
    return float((now or time.time()) + rules.password_expires_days * 86400)
