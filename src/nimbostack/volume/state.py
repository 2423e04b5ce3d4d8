"""What block storage's processes share in one process: config, database, bus, clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.compute import ComputeClient
from nimbostack.clients.identity import Session
from nimbostack.clients.image import ImageClient
from nimbostack.clients.service_auth import Auth
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Config
from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.volume.rpcapi import VolumeRpc


class _SharedImageClient(ImageClient):
    """An image client on the state's connection pool, which its close() leaves open."""

    async def close(self) -> None:
        return None


class _SharedComputeClient(ComputeClient):
    async def close(self) -> None:
        return None


@dataclass
class VolumeState:
    """Shared by the volume API, scheduler and managers of one process.

    ``auth`` is the service user's login: its catalog locates the other services, and
    its token is the service token sent to compute. ``http`` is one connection pool
    for every call to another service (tests hand it an in-process transport).
    """

    conf: Config
    db: Database
    rpc: VolumeRpc
    auth: Auth
    data_dir: Path
    enforcer: Enforcer | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    _http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        # Made on first use, with the process's shared TLS context (built off the loop).
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(60.0, read=600.0),
                limits=httpx.Limits(max_connections=50),
                verify=tls.context(),
            )
        return self._http

    @http.setter
    def http(self, client: httpx.AsyncClient) -> None:
        self._http = client

    @property
    def options(self) -> Any:
        """The [volume] section."""
        return self.conf.volume

    async def user_images(self, ctx: RequestContext) -> ImageClient:
        """An image client acting with the caller's token (the catalog comes from ours)."""
        service = await self.auth.session()
        return _SharedImageClient(Session(ctx.auth_token or "", service.catalog), self.http)

    async def service_images(self) -> ImageClient:
        return _SharedImageClient(await self.auth.session(), self.http)

    async def service_compute(self) -> ComputeClient:
        """Compute as this service (admin), for external events and attachment checks."""
        session = await self.auth.session()
        return _SharedComputeClient(session, self.http, service_token=session.token)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()


def state_of(req: ApiRequest) -> VolumeState:
    state = req.service_state
    assert isinstance(state, VolumeState)
    return state
