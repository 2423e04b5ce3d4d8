"""Agents as they report themselves: one row per (type, host), refreshed by each report.

A report is one UPDATE of the agent's row; only the first report of an agent inserts
it, inside a savepoint, and a concurrent first report that wins the insert turns the
loser's into the UPDATE. An agent is alive while its last heartbeat is younger than
``[network] agent_down_time``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import errors
from nimbostack.network.agent_messages import AgentConfiguration, ReportState
from nimbostack.network.db.models import Agent
from nimbostack.network.objects import standard


async def report(s: AsyncSession, msg: ReportState) -> str:
    """Record ``msg``'s heartbeat (and its start, if it says so); the agent's id."""
    now = time.time()
    values: dict[str, Any] = {
        "binary": msg.binary,
        "topic": msg.topic,
        "availability_zone": msg.availability_zone,
        "heartbeat_timestamp": now,
        "configurations": dataclasses.asdict(msg.configurations),
    }
    if msg.start_flag:
        values["started_at"] = now
    found = await _update(s, msg, values)
    if found is not None:
        return found
    agent_id = standard.new_id()
    try:
        async with s.begin_nested():
            s.add(
                Agent(
                    id=agent_id,
                    agent_type=msg.agent_type,
                    host=msg.host,
                    created_at=now,
                    admin_state_up=True,
                    description="",
                    load=0,
                    **{"started_at": now, **values},
                )
            )
    except IntegrityError:
        found = await _update(s, msg, values)
        if found is None:
            raise
        return found
    return agent_id


async def _update(s: AsyncSession, msg: ReportState, values: dict[str, Any]) -> str | None:
    agent_id: str | None = await s.scalar(
        update(Agent)
        .where(Agent.agent_type == msg.agent_type, Agent.host == msg.host)
        .values(**values)
        .returning(Agent.id)
        .execution_options(synchronize_session=False)
    )
    return agent_id


async def live(s: AsyncSession, agent_type: str, host: str, down_time: float) -> Any | None:
    """The enabled agent of ``agent_type`` on ``host`` if it reported recently, else None."""
    row = await s.scalar(
        select(Agent).where(
            Agent.agent_type == agent_type,
            Agent.host == host,
            Agent.admin_state_up.is_(True),
            Agent.heartbeat_timestamp > time.time() - down_time,
        )
    )
    return row


def configuration(agent: Agent) -> AgentConfiguration:
    """The agent's last reported configuration, typed."""
    known = {f.name for f in dataclasses.fields(AgentConfiguration)}
    return AgentConfiguration(**{k: v for k, v in agent.configurations.items() if k in known})


async def listed(s: AsyncSession, down_time: float) -> list[dict[str, Any]]:
    rows = await s.scalars(select(Agent).order_by(Agent.host, Agent.agent_type))
    return [view(row, down_time) for row in rows]


async def shown(s: AsyncSession, agent_id: str, down_time: float) -> dict[str, Any]:
    row = await s.get(Agent, agent_id)
    if row is None:
        raise errors.AgentNotFound(id=agent_id)
    return view(row, down_time)


def _stamp(ts: float) -> str:
    # Neutron shows agents' times without the ISO "T" and zone.
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def view(row: Agent, down_time: float) -> dict[str, Any]:
    """An agent as ``GET /v2.0/agents`` shows it."""
    return {
        "id": row.id,
        "agent_type": row.agent_type,
        "binary": row.binary,
        "topic": row.topic,
        "host": row.host,
        "availability_zone": row.availability_zone,
        "admin_state_up": row.admin_state_up,
        "alive": row.heartbeat_timestamp > time.time() - down_time,
        "created_at": _stamp(row.created_at),
        "started_at": _stamp(row.started_at),
        "heartbeat_timestamp": _stamp(row.heartbeat_timestamp),
        "description": row.description,
        "configurations": row.configurations,
        "resources_synced": row.resources_synced,
    }
