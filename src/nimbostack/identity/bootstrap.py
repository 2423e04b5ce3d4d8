"""Idempotent bootstrap: default domain, roles, admin and demo accounts, region, catalog."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.timeutil import utcnow
from nimbostack.identity.db.models import (
    Assignment,
    CatalogService,
    Domain,
    Endpoint,
    ImpliedRole,
    Project,
    Region,
    Role,
    User,
)
from nimbostack.identity.objects.assignments import SYSTEM_TARGET
from nimbostack.identity.objects.passwords import current_password, set_password
from nimbostack.identity.passwords import hash_password_async
from nimbostack.identity.state import IdentityState

DEFAULT_DOMAIN = "default"
ROLE_CHAIN = ("admin", "manager", "member", "reader")


@dataclass(frozen=True)
class CatalogEntry:
    """One service to list in the catalog: its type, name and public URL."""

    type: str
    name: str
    url: str


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    project: str
    role: str
    system: bool = False


def _new_id() -> str:
    return uuid.uuid4().hex


async def _domain(session: AsyncSession) -> None:
    if await session.get(Domain, DEFAULT_DOMAIN) is None:
        session.add(
            Domain(
                id=DEFAULT_DOMAIN,
                name="Default",
                description="The default domain",
                enabled=True,
                extra={},
            )
        )
        await session.flush()


async def _role(session: AsyncSession, name: str) -> Role:
    role = await session.scalar(select(Role).where(Role.name == name, Role.domain_id == ""))
    if role is None:
        role = Role(id=_new_id(), name=name, domain_id="", options={}, extra={})
        session.add(role)
        await session.flush()
    return role


async def _roles(session: AsyncSession) -> dict[str, Role]:
    roles = {name: await _role(session, name) for name in (*ROLE_CHAIN, "service")}
    for prior, implied in pairwise(ROLE_CHAIN):
        key = (roles[prior].id, roles[implied].id)
        if await session.get(ImpliedRole, key) is None:
            session.add(ImpliedRole(prior_role_id=key[0], implied_role_id=key[1]))
    return roles


async def _project(session: AsyncSession, name: str) -> Project:
    project = await session.scalar(
        select(Project).where(Project.name == name, Project.domain_id == DEFAULT_DOMAIN)
    )
    if project is None:
        project = Project(
            id=_new_id(),
            name=name,
            domain_id=DEFAULT_DOMAIN,
            parent_id=DEFAULT_DOMAIN,
            description=f"Bootstrap project {name}",
            tags=[],
            options={},
            extra={},
        )
        session.add(project)
        await session.flush()
    return project


async def _grant(session: AsyncSession, kind: str, actor: str, target: str, role: Role) -> None:
    key = (kind, actor, target, role.id, False)
    if await session.get(Assignment, key) is None:
        session.add(
            Assignment(
                type=kind, actor_id=actor, target_id=target, role_id=role.id, inherited=False
            )
        )


async def _account(
    state: IdentityState,
    session: AsyncSession,
    acct: Account,
    roles: dict[str, Role],
    hashes: dict[str, str],
) -> None:
    project = await _project(session, acct.project)
    user = await session.scalar(
        select(User).where(User.name == acct.user, User.domain_id == DEFAULT_DOMAIN)
    )
    if user is None:
        user = User(
            id=_new_id(),
            name=acct.user,
            domain_id=DEFAULT_DOMAIN,
            enabled=True,
            default_project_id=project.id,
            options={},
            extra={},
            created_at=utcnow().timestamp(),
        )
        session.add(user)
        await session.flush()
    if await current_password(session, user.id) is None:
        await set_password(
            session,
            state.conf,
            user.id,
            acct.password,
            self_service=True,
            hashed=hashes.get(acct.user),
        )
    await _grant(session, "UserProject", user.id, project.id, roles[acct.role])
    if acct.system:
        await _grant(session, "UserSystem", user.id, SYSTEM_TARGET, roles[acct.role])


async def _catalog(session: AsyncSession, region: str, entries: Sequence[CatalogEntry]) -> None:
    if await session.get(Region, region) is None:
        session.add(Region(id=region, description="", extra={}))
    for entry in entries:
        svc = await session.scalar(select(CatalogService).where(CatalogService.type == entry.type))
        if svc is None:
            svc = CatalogService(
                id=_new_id(),
                type=entry.type,
                name=entry.name,
                enabled=True,
                description="",
                extra={},
            )
            session.add(svc)
            await session.flush()
        existing = (
            await session.scalars(select(Endpoint).where(Endpoint.service_id == svc.id))
        ).all()
        for ep in existing:
            ep.url = entry.url
        have = {ep.interface for ep in existing}
        for interface in ("public", "internal", "admin"):
            if interface not in have:
                session.add(
                    Endpoint(
                        id=_new_id(),
                        service_id=svc.id,
                        interface=interface,
                        url=entry.url,
                        region_id=region,
                        enabled=True,
                        extra={},
                    )
                )


async def _hash_missing_passwords(
    state: IdentityState, accounts: Sequence[Account]
) -> dict[str, str]:
    """Hash the passwords of accounts that have none yet, in parallel threads.

    bcrypt releases the GIL, so on first start the accounts' hashes cost the time of one.
    """
    async with state.db.session() as session:
        missing = [
            acct
            for acct in accounts
            if (
                user := await session.scalar(
                    select(User).where(User.name == acct.user, User.domain_id == DEFAULT_DOMAIN)
                )
            )
            is None
            or await current_password(session, user.id) is None
        ]
    rounds = state.conf.identity.password_hash_rounds
    hashed = await asyncio.gather(*(hash_password_async(a.password, rounds) for a in missing))
    return {acct.user: value for acct, value in zip(missing, hashed, strict=True)}


async def bootstrap(
    state: IdentityState,
    accounts: Sequence[Account],
    catalog: Sequence[CatalogEntry],
    region: str = "RegionOne",
) -> None:
    """Create whatever is missing; running it again changes nothing (but endpoint URLs)."""
    hashes = await _hash_missing_passwords(state, accounts)
    async with state.db.session() as session:
        await _domain(session)
        roles = await _roles(session)
        await _project(session, "service")
        for acct in accounts:
            await _account(state, session, acct, roles, hashes)
        await _catalog(session, region, catalog)
    state.changed()
