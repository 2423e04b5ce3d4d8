"""Keypairs per user: import or generate, fingerprints, list, show, delete."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from nimbostack.compute.db.models import KeyPair
from nimbostack.compute.objects import quotas
from nimbostack.core.db import Database
from nimbostack.core.db.paging import Page
from nimbostack.core.errors import BadRequest, Conflict, Forbidden, NotFound


def ssh_fingerprint(public_key: str) -> str:
    """The MD5 colon-hex fingerprint of an OpenSSH public key; BadRequest if invalid."""
    try:
        loaded = serialization.load_ssh_public_key(public_key.strip().encode())
        blob = loaded.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ).split()[1]
        digest = hashlib.md5(base64.b64decode(blob), usedforsecurity=False).hexdigest()
    except (ValueError, IndexError, binascii.Error, TypeError):
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def x509_fingerprint(public_key: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(public_key.encode())
    except ValueError:
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    digest = cert.fingerprint(hashes.SHA1()).hex()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def generate() -> tuple[str, str]:
    """A new RSA keypair: (private key PEM, OpenSSH public key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return private, public.decode() + " Generated-by-Nimbostack"


def generate_x509(common_name: str) -> tuple[str, str]:
    """A new RSA key and a self-signed certificate for it: (private key PEM, cert PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "nova")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


async def count(db: Database, user_id: str) -> int:
    async with db.session() as s:
        found = await s.scalar(select(func.count()).where(KeyPair.user_id == user_id))
        return int(found or 0)


async def create(
    db: Database,
    user_id: str,
    name: str,
    *,
    public_key: str,
    key_type: str,
    fingerprint: str,
    limit: int = -1,
) -> KeyPair:
    """Record a key pair; Forbidden past ``limit`` pairs of the user (negative: none)."""
    try:
        async with db.session() as s:
            await quotas.lock_owner(s, f"user:{user_id}")
            used = await s.scalar(select(func.count()).where(KeyPair.user_id == user_id))
            if 0 <= limit <= int(used or 0):
                raise Forbidden("Quota exceeded, too many key pairs.")
            clash = await s.scalar(
                select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name)
            )
            if clash is not None:
                raise Conflict(f"Key pair '{name}' already exists.")
            record = KeyPair(
                name=name,
                user_id=user_id,
                public_key=public_key,
                type=key_type,
                fingerprint=fingerprint,
                created_at=time.time(),
            )
            s.add(record)
            await s.flush()
            return record
    except IntegrityError:
        raise Conflict(f"Key pair '{name}' already exists.") from None


async def get(db: Database, user_id: str, name: str) -> KeyPair:
    async with db.session() as s:
        found = await s.scalar(
            select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name)
        )
    if found is None:
        raise NotFound(f"Keypair {name} not found for user {user_id}")
    return found


async def list_for(
    db: Database, user_id: str, limit: int | None = None, marker: str | None = None
) -> list[KeyPair]:
    """The user's key pairs by name, one page of them: after ``marker``, at most ``limit``."""
    page = Page(KeyPair.name, [], limit, marker)
    async with db.reader() as s:
        stmt = await page.apply(s, select(KeyPair).where(KeyPair.user_id == user_id))
        return list((await s.scalars(stmt)).all())


async def remove(db: Database, user_id: str, name: str) -> None:
    async with db.session() as s:
        found = await s.scalar(
            select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name)
        )
        if found is None:
            raise NotFound(f"Keypair {name} not found for user {user_id}")
        await s.delete(found)
