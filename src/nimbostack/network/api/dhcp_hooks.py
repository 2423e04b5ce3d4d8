"""Telling the DHCP agents about API changes, after the request's commit.

Each hook does nothing where no agents run (``state.dhcp`` is None: API-only tests).
"""

from __future__ import annotations

from nimbostack.core.api.request import ApiRequest
from nimbostack.network.state import NetworkState


async def network_changed(req: ApiRequest, state: NetworkState, network_id: str) -> None:
    if state.dhcp is not None:
        await state.dhcp.network_changed(req.context, network_id)


async def port_changed(req: ApiRequest, state: NetworkState, network_id: str, port_id: str) -> None:
    if state.dhcp is not None:
        await state.dhcp.port_changed(req.context, network_id, port_id)


async def port_removed(req: ApiRequest, state: NetworkState, network_id: str, port_id: str) -> None:
    if state.dhcp is not None:
        await state.dhcp.port_removed(req.context, network_id, port_id)


async def network_removed(req: ApiRequest, state: NetworkState, network_id: str) -> None:
    if state.dhcp is not None:
        await state.dhcp.network_removed(req.context, network_id)
