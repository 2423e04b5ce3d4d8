"""Server group membership: members are a JSON list changed under the group's row lock.

Servers join a group when they are created and leave it when they are deleted; each
change re-reads the list FOR UPDATE in the transaction that writes it, so concurrent
creates and deletes in one group all land. Groups are locked in uuid order.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import ServerGroup
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import BadRequest, Forbidden


async def add_members(s: AsyncSession, group_uuid: str, uuids: list[str], limit: int) -> None:
    """Add servers to a group; Forbidden past ``limit`` members (negative: no limit)."""
    group = await get_for_update(s, ServerGroup, group_uuid)
    if group is None:
        raise BadRequest(f"Invalid server group: {group_uuid} could not be found.")
    members = list(group.members or [])
    if 0 <= limit < len(members) + len(uuids):
        raise Forbidden("Quota exceeded, too many servers in group")
    group.members = members + uuids


async def remove_member(s: AsyncSession, project_id: str, uuid: str) -> None:
    """Take a server out of its project's groups."""
    groups = await s.scalars(
        select(ServerGroup)
        .where(ServerGroup.project_id == project_id)
        .order_by(ServerGroup.uuid)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for group in groups:
        if uuid in (group.members or []):
            group.members = [m for m in group.members if m != uuid]
