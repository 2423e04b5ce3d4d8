"""Domains: deleting one together with everything it owns."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.identity.db.extension_models import Credential
from nimbostack.identity.db.models import (
    ApplicationCredential,
    Assignment,
    Domain,
    Group,
    Project,
    Role,
    User,
)


async def delete_domain(session: AsyncSession, domain: Domain) -> None:
    """Delete a domain with its projects, users, groups, domain roles and grants.

    Grants have no foreign key to their actor or target (they point at users,
    groups, projects, domains or the system), so they are removed explicitly.
    """
    project_ids = list(
        await session.scalars(select(Project.id).where(Project.domain_id == domain.id))
    )
    user_ids = list(await session.scalars(select(User.id).where(User.domain_id == domain.id)))
    group_ids = list(await session.scalars(select(Group.id).where(Group.domain_id == domain.id)))
    targets = [domain.id, *project_ids]
    actors = [*user_ids, *group_ids]
    await session.execute(delete(Assignment).where(Assignment.target_id.in_(targets)))
    await session.execute(delete(Assignment).where(Assignment.actor_id.in_(actors)))
    await session.execute(
        delete(ApplicationCredential).where(ApplicationCredential.project_id.in_(project_ids))
    )
    await session.execute(delete(Credential).where(Credential.project_id.in_(project_ids)))
    await session.execute(delete(Project).where(Project.domain_id == domain.id))
    await session.execute(delete(User).where(User.domain_id == domain.id))
    await session.execute(delete(Group).where(Group.domain_id == domain.id))
    await session.execute(delete(Role).where(Role.domain_id == domain.id))
    await session.delete(domain)
