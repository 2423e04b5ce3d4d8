"""Placement's options: [placement]."""

from __future__ import annotations

from nimbostack.core.config import Opt, port_opt, register
from nimbostack.core.options import api_opts

register(
    "placement",
    "The placement service (resource providers, inventories, allocations).",
    [
        port_opt("port", 8778, "the placement API"),
        *api_opts(),
        Opt("connection", "", "Database URL for placement (empty: see [database])."),
        Opt(
            "allocation_conflict_retry_count",
            10,
            "How often an allocation write is retried internally when a provider's "
            "generation changed under it, before answering 409.",
            type="int",
            minimum=0,
        ),
        Opt(
            "max_candidates",
            10000,
            "Upper bound of allocation requests one GET /allocation_candidates returns.",
            type="int",
            minimum=1,
        ),
    ],
)
