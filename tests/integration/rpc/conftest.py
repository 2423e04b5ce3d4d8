"""Fixtures for the RPC suite: one transport URL per bus, and a harness that cleans up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.rpc.harness import RpcHarness
from tests.support.fixtures import rabbit_server

__all__ = ["rabbit_server"]


@pytest.fixture(params=["memory", pytest.param("rabbit", marks=pytest.mark.rabbit)])
def transport_url(request: pytest.FixtureRequest) -> str:
    """The URL of each bus the suite runs on: in-process, then a real RabbitMQ."""
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue("rabbit_server").url)


@pytest.fixture
async def rpc(transport_url: str) -> AsyncIterator[RpcHarness]:
    harness = RpcHarness(transport_url)
    yield harness
    await harness.aclose()
