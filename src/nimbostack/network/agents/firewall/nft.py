"""Running ``nft``: a script as one transaction (``nft -f -``), and reading state (``-j``).

Every run goes through ``core.process.run`` (no inherited descriptors, never blocking
the event loop). ``netns`` runs nft inside a network namespace (a host built out of
namespaces, as tests do).
"""

from __future__ import annotations

import json
from typing import Any

from nimbostack.core.process import run

NFT = "nft"
TIMEOUT = 30.0


class NftError(Exception):
    """nft refused a script or a command; the message is nft's reason."""


class Nft:
    """nft on this host, or in one network namespace."""

    def __init__(self, netns: str | None = None) -> None:
        self.prefix: tuple[str, ...] = ("ip", "netns", "exec", netns) if netns else ()

    async def apply(self, script: str) -> None:
        """Run ``script`` as one atomic transaction: all of it applies, or none."""
        done = await run(*self.prefix, NFT, "-f", "-", input=script.encode(), timeout=TIMEOUT)
        if done.returncode:
            raise NftError(done.err.decode(errors="replace").strip() or done.reason())

    async def objects(self, *command: str) -> list[dict[str, Any]] | None:
        """The ``nftables`` objects ``nft -j <command>`` lists; None if it names nothing."""
        done = await run(*self.prefix, NFT, "-j", *command, timeout=TIMEOUT)
        if done.returncode:
            if b"No such file or directory" in done.err:
                return None
            raise NftError(done.reason())
        found: list[dict[str, Any]] = json.loads(done.out or b"{}").get("nftables", [])
        return found
