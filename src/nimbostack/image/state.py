"""ImageState: what the image handlers share (database, policy, stores, settings, tasks)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Section
from nimbostack.core.db import Database
from nimbostack.image.stores.file import FileStore


@dataclass
class ImageState:
    """Per-process image state, reachable from a handler with ``state_of(req)``.

    ``store`` holds committed image data; ``staging`` holds data put with the
    ``stage`` call until an import moves it into ``store``. ``tasks`` keeps the
    background imports alive (and lets ``stop`` wait for them).
    """

    conf: Section
    db: Database
    enforcer: Enforcer
    store: FileStore
    staging: FileStore
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def state_of(req: ApiRequest) -> ImageState:
    state = req.service_state
    assert isinstance(state, ImageState)
    return state
