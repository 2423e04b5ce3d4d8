"""Instance actions and their events: the record behind `openstack server event list`."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import InstanceAction, InstanceActionEvent
from nimbostack.core.context import RequestContext


async def start_action(
    session: AsyncSession, ctx: RequestContext, instance_uuid: str, action: str
) -> InstanceAction:
    """Record that a user started ``action`` (create, reboot, pause...) on an instance."""
    record = InstanceAction(
        instance_uuid=instance_uuid,
        action=action,
        request_id=ctx.request_id,
        user_id=ctx.user_id,
        project_id=ctx.project_id,
        start_time=time.time(),
    )
    session.add(record)
    await session.flush()
    return record


async def _action(session: AsyncSession, instance_uuid: str, request_id: str) -> InstanceAction:
    found = await session.scalar(
        select(InstanceAction).where(
            InstanceAction.instance_uuid == instance_uuid,
            InstanceAction.request_id == request_id,
        )
    )
    if found is None:
        # An action the API did not record (a periodic task, say): record it now.
        found = InstanceAction(
            instance_uuid=instance_uuid,
            action="unknown",
            request_id=request_id,
            start_time=time.time(),
        )
        session.add(found)
        await session.flush()
    return found


async def event_start(
    session: AsyncSession, *, instance_uuid: str, request_id: str, event: str, host: str
) -> None:
    action = await _action(session, instance_uuid, request_id)
    session.add(
        InstanceActionEvent(action_id=action.id, event=event, start_time=time.time(), host=host)
    )
    action.updated_at = time.time()


async def event_finish(
    session: AsyncSession,
    *,
    instance_uuid: str,
    request_id: str,
    event: str,
    result: str,
    traceback: str | None = None,
) -> None:
    """Close the newest open event of that name; a failed result marks the action failed."""
    action = await _action(session, instance_uuid, request_id)
    found = await session.scalar(
        select(InstanceActionEvent)
        .where(
            InstanceActionEvent.action_id == action.id,
            InstanceActionEvent.event == event,
            InstanceActionEvent.finish_time.is_(None),
        )
        .order_by(InstanceActionEvent.id.desc())
        .limit(1)
    )
    now = time.time()
    if found is None:
        found = InstanceActionEvent(action_id=action.id, event=event, start_time=now)
        session.add(found)
    found.finish_time = now
    found.result = result
    found.traceback = traceback
    _close(action, result, now)


async def event_reported(
    session: AsyncSession,
    *,
    instance_uuid: str,
    request_id: str,
    event: str,
    host: str,
    start_time: float,
    result: str,
    traceback: str | None = None,
) -> None:
    """A whole event told in one message once it finished: one row, already closed."""
    action = await _action(session, instance_uuid, request_id)
    now = time.time()
    session.add(
        InstanceActionEvent(
            action_id=action.id,
            event=event,
            start_time=start_time,
            finish_time=now,
            result=result,
            traceback=traceback,
            host=host,
        )
    )
    _close(action, result, now)


def _close(action: InstanceAction, result: str, now: float) -> None:
    action.updated_at = now
    if result != "Success":
        action.message = "Error"
    action.finish_time = now
