"""What the compute API needs of the process that serves it, and how handlers reach it.

The service builds a ``compute.state.ComputeState``; the API relies only on the
attributes named in ``ApiState`` so tests can hand it a smaller stand-in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from nimbostack.clients.identity import Session, SessionSource
from nimbostack.clients.image import ImageClient
from nimbostack.clients.network import NetworkClient
from nimbostack.compute.credentials import Auth, StaticAuth
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.compute.volume_access import VolumeAccess
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database


class ApiState(Protocol):
    """The compute state as the API sees it."""

    @property
    def conf(self) -> Any: ...  # the whole Config: conf.compute, conf.DEFAULT

    @property
    def db(self) -> Database: ...

    @property
    def rpc(self) -> ComputeRpc: ...

    @property
    def auth(self) -> Auth: ...

    @property
    def image_client(self) -> Callable[[Session], ImageClient]: ...

    @property
    def network_client(self) -> Callable[[SessionSource], NetworkClient]: ...

    @property
    def extra(self) -> dict[str, Any]: ...  # "volumes": a VolumeAccess, made on first use


def state_of(req: ApiRequest) -> ApiState:
    state: ApiState = req.service_state
    return state


async def user_networks(ctxt: RequestContext, state: ApiState) -> NetworkClient | None:
    """A networking client acting with the caller's token; None without networking."""
    service = await state.auth.session()
    if not any(entry.get("type") == "network" for entry in service.catalog):
        return None
    return state.network_client(StaticAuth(Session(ctxt.auth_token or "", service.catalog)))


def volume_access(state: ApiState) -> VolumeAccess:
    """Block storage with the caller's token and ours (tests put their own in ``extra``)."""
    found = state.extra.get("volumes")
    if not isinstance(found, VolumeAccess):
        found = state.extra["volumes"] = VolumeAccess(state.auth)
    return found


def compute_conf(state: ApiState) -> Any:
    """The [compute] section."""
    return state.conf.compute


def public_url(req: ApiRequest) -> str:
    """The compute endpoint's root as the caller reached it, for links."""
    return f"{req.http.url.scheme}://{req.http.url.netloc}"


@asynccontextmanager
async def user_images(req: ApiRequest, state: ApiState) -> AsyncIterator[ImageClient]:
    """An image client acting with the caller's token (the catalog comes from ours)."""
    service = await state.auth.session()
    client = state.image_client(Session(req.context.auth_token or "", service.catalog))
    try:
        yield client
    finally:
        await client.close()
