"""The token payload: what an encrypted token carries, packed with msgpack.

A token names the user, how they authenticated, their scope, its expiry and its audit
ids. Everything else (roles, catalog, names) is looked up when it is validated, so a
token needs no storage and changes to roles take effect at once.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field

import msgpack
from cryptography.fernet import InvalidToken, MultiFernet

from nimbostack.core.errors import Unauthorized

FORMAT_VERSION = 1
METHOD_BITS = {"password": 1, "token": 2, "application_credential": 4}


@dataclass(frozen=True)
class TokenPayload:
    """The facts sealed inside one token."""

    user_id: str
    methods: tuple[str, ...]
    expires_at: float
    issued_at: float
    audit_ids: tuple[str, ...]
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    app_cred_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def audit_chain_id(self) -> str:
        return self.audit_ids[-1]


def new_audit_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _methods_to_int(methods: tuple[str, ...]) -> int:
    return sum(METHOD_BITS[m] for m in set(methods))


def _int_to_methods(value: int) -> tuple[str, ...]:
    return tuple(name for name, bit in METHOD_BITS.items() if value & bit)


def seal(payload: TokenPayload, fernet: MultiFernet) -> str:
    packed = msgpack.packb(
        [
            FORMAT_VERSION,
            payload.user_id,
            _methods_to_int(payload.methods),
            payload.project_id,
            payload.domain_id,
            payload.system,
            payload.expires_at,
            list(payload.audit_ids),
            payload.app_cred_id,
            payload.issued_at,
        ]
    )
    token = fernet.encrypt_at_time(packed, int(payload.issued_at)).decode()
    # Fernet's padding carries no information; dropping it keeps tokens URL-safe and short.
    return token.rstrip("=")


def unseal(token: str, fernet: MultiFernet) -> TokenPayload:
    """Decrypt and unpack, or raise Unauthorized for anything tampered or malformed."""
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = fernet.decrypt(padded.encode())
        fields = msgpack.unpackb(raw)
        version, user_id, methods, project_id, domain_id, system, expires, audits, acred = fields[
            :9
        ]
        issued_at = float(fields[9])
    except (InvalidToken, ValueError, TypeError, IndexError, msgpack.UnpackException):
        raise Unauthorized("The request you have made requires authentication.") from None
    if version != FORMAT_VERSION:
        raise Unauthorized("The request you have made requires authentication.")
    return TokenPayload(
        user_id=user_id,
        methods=_int_to_methods(methods),
        expires_at=float(expires),
        issued_at=issued_at,
        audit_ids=tuple(audits),
        project_id=project_id,
        domain_id=domain_id,
        system=bool(system),
        app_cred_id=acred,
    )
