"""What compute's processes share in one process: config, database, bus, service clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.identity import Session, SessionSource
from nimbostack.clients.image import ImageClient
from nimbostack.clients.network import NetworkClient
from nimbostack.clients.placement import PlacementClient
from nimbostack.compute.credentials import Auth
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Config
from nimbostack.core.db import Database


class _PooledImageClient(ImageClient):
    """An image client on a shared connection pool, which its close() leaves open."""

    async def close(self) -> None:
        return None


def pooled_image_clients() -> Callable[[Session], ImageClient]:
    """A factory of image clients sharing one connection pool (made on first use).

    A new httpx client per request builds a TLS context each time, which cost an
    eighth of the CPU of a burst of boots.
    """
    pool: list[httpx.AsyncClient] = []

    def make(session: Session) -> ImageClient:
        if not pool:
            pool.append(
                httpx.AsyncClient(
                    timeout=300, limits=httpx.Limits(max_connections=100), verify=tls.context()
                )
            )
        return _PooledImageClient(session, pool[0])

    return make


class _PooledNetworkClient(NetworkClient):
    async def close(self) -> None:
        return None


def pooled_network_clients() -> Callable[[SessionSource], NetworkClient]:
    """A factory of networking clients sharing one connection pool (made on first use)."""
    pool: list[httpx.AsyncClient] = []

    def make(auth: SessionSource) -> NetworkClient:
        if not pool:
            pool.append(httpx.AsyncClient(timeout=60, verify=tls.context()))
        return _PooledNetworkClient(auth, pool[0])

    return make


@dataclass
class ComputeState:
    """Shared by the compute API, conductor and scheduler of one process.

    ``auth`` is the service user's login (placement, image); ``image_client`` builds an
    ImageClient for a session (the user's, or the service's). ``data_dir`` holds the
    files the processes share (the console token secret); None in tests without one.
    ``extra`` holds whatever a process wants to hang on the state without widening this class.
    """

    conf: Config
    db: Database
    rpc: ComputeRpc
    auth: Auth
    placement: PlacementClient
    image_client: Callable[[Session], ImageClient] = field(default_factory=pooled_image_clients)
    network_client: Callable[[SessionSource], NetworkClient] = field(
        default_factory=pooled_network_clients
    )
    enforcer: Enforcer | None = None
    public_url: str = ""
    data_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
