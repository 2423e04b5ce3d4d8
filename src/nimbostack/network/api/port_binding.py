"""Binding a port as its API requests change ``binding:host_id``, and telling the agents.

The binding is decided in the request's transaction (``objects/binding.py``); the
agents hear of it after the commit, so an agent never asks about a port that is not
there yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.api.request import ApiRequest
from nimbostack.network.agent_messages import FdbRemove
from nimbostack.network.db.models import Port, PortBinding
from nimbostack.network.objects import binding, l2pop
from nimbostack.network.objects.port_view import BINDING_ACTIVE
from nimbostack.network.state import NetworkState

# A change of these makes the host's agent rewire (or unwire) the port's device.
REWIRING = ("binding:host_id", "admin_state_up", "security_groups", "fixed_ips",
            "port_security_enabled", "allowed_address_pairs", "mac_address")  # fmt: skip


@dataclass(frozen=True)
class Placed:
    """Where a port is bound (``""``: nowhere), before and after a request."""

    port_id: str
    network_id: str
    before: str
    after: str
    left: FdbRemove | None = None  # its forwarding entry at the host it left


async def host_of(s: AsyncSession, port_id: str) -> tuple[str, str]:
    """The port's network and the host of its active binding (``""`` if none)."""
    row = (
        await s.execute(
            select(Port.network_id, PortBinding.host)
            .join(PortBinding, PortBinding.port_id == Port.id)
            .where(Port.id == port_id, PortBinding.status == BINDING_ACTIVE)
        )
    ).one()
    return str(row[0]), str(row[1])


async def after_create(
    s: AsyncSession, state: NetworkState, port_id: str, item: dict[str, Any]
) -> Placed | None:
    """Bind a new port that names a host."""
    if not item.get("binding:host_id"):
        return None
    await binding.bind(s, port_id, state.agent_down_time)
    network_id, host = await host_of(s, port_id)
    return Placed(port_id, network_id, "", host)


async def leaving(s: AsyncSession, port_id: str, changes: dict[str, Any]) -> FdbRemove | None:
    """Before a change of host: the forwarding entry other hosts must drop."""
    if "binding:host_id" not in changes:
        return None
    found = await l2pop.entry(s, port_id)
    return l2pop.removal(found) if found is not None else None


async def after_update(
    s: AsyncSession,
    state: NetworkState,
    port_id: str,
    before: str,
    changes: dict[str, Any],
    *,
    left: FdbRemove | None = None,
) -> Placed | None:
    """Rebind a port whose host changed; what its hosts' agents must hear of."""
    if not any(key in changes for key in REWIRING):
        return None
    if "binding:host_id" in changes:
        await binding.bind(s, port_id, state.agent_down_time)
    network_id, host = await host_of(s, port_id)
    return Placed(port_id, network_id, before, host, left)


async def notify(req: ApiRequest, state: NetworkState, placed: Placed | None) -> None:
    """Tell the agents of the hosts a port left or reached (after the commit)."""
    if placed is None or state.agents is None:
        return
    if placed.before and placed.before != placed.after:
        await state.agents.port_delete(req.context, placed.port_id)
        if placed.left is not None:
            await state.agents.fdb_remove(req.context, placed.left)
    if placed.after:
        await state.agents.port_update(req.context, placed.after, placed.port_id, placed.network_id)
