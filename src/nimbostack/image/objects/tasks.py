"""Image tasks: the record of each import, from ``processing`` to ``success``/``failure``."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select, update

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.image.db.models import ImageTask


async def start(
    db: Database, ctx: RequestContext, image_id: str, task_input: dict[str, Any]
) -> str:
    """Record a new import task for ``image_id`` and return its id."""
    now = time.time()
    task = ImageTask(
        id=str(uuid.uuid4()),
        image_id=image_id,
        type="api_image_import",
        status="processing",
        owner=ctx.project_id,
        user_id=ctx.user_id,
        request_id=ctx.request_id,
        input=task_input,
        result=None,
        message="",
        created_at=now,
        updated_at=now,
    )
    async with db.session() as s:
        s.add(task)
    return task.id


async def finish(db: Database, task_id: str, error: str | None = None) -> None:
    """Mark the task ``success``, or ``failure`` with ``error`` as its message."""
    async with db.session() as s:
        task = await s.get(ImageTask, task_id)
        values: dict[str, Any] = {"updated_at": time.time()}
        if error is None:
            values.update(status="success", result={"image_id": task.image_id if task else None})
        else:
            values.update(status="failure", message=error[:2048])
        await s.execute(update(ImageTask).where(ImageTask.id == task_id).values(**values))


async def of_image(db: Database, image_id: str) -> list[ImageTask]:
    async with db.session() as s:
        rows = await s.scalars(
            select(ImageTask).where(ImageTask.image_id == image_id).order_by(ImageTask.created_at)
        )
        return list(rows.all())
