"""Claims in placement: write an instance's allocation on a chosen candidate.

Placement checks capacity atomically, so two schedulers never over-commit a provider:
the loser gets a 409 and tries its next candidate.
"""

from __future__ import annotations

import logging

from nimbostack.clients.placement import PlacementClient
from nimbostack.compute.scheduler.hosts import HostState

LOG = logging.getLogger(__name__)


async def claim(
    placement: PlacementClient,
    consumer: str,
    host: HostState,
    *,
    project_id: str,
    user_id: str,
) -> bool:
    """Allocate ``host``'s allocation request to ``consumer``; False if it no longer fits."""
    allocations = host.allocation_request["allocations"]
    if await placement.put_allocations(
        consumer, allocations, project_id=project_id, user_id=user_id, generation=None
    ):
        return True
    # The consumer may already exist (a move keeps the instance as a consumer): retry
    # once with its current generation, replacing what it holds.
    current = await placement.get_allocations(consumer)
    generation = current.get("consumer_generation")
    if generation is None:
        LOG.debug("claim of %s on %s refused: no capacity", consumer, host.host)
        return False
    return await placement.put_allocations(
        consumer, allocations, project_id=project_id, user_id=user_id, generation=generation
    )


def consume(host: HostState, resources: dict[str, int]) -> None:
    """Account a claim in the host state, so later instances of the request see it."""
    for rc, amount in resources.items():
        host.free[rc] = host.free.get(rc, 0.0) - amount
