"""Persists this process's finished spans of compute requests into trace_spans.

The tracing sink is called synchronously for every span of the process (identity,
image and placement too under `nimbostack up`), so it only buffers; a background task
writes in batches. Spans of traces that never touch compute are dropped after a grace
period. The instance a trace concerns is learnt from spans carrying ``instance_uuid``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

from nimbostack.compute.objects import traces
from nimbostack.core import tracing
from nimbostack.core.db import Database

LOG = logging.getLogger(__name__)
_GRACE = 10.0  # seconds a non-compute span waits to learn its trace is a compute one
_KNOWN_TRACES = 20000


class TraceSink:
    """Buffers spans and flushes the compute ones to the database every ``interval`` s."""

    def __init__(self, db: Database, interval: float = 0.5) -> None:
        self.db = db
        self.interval = interval
        self._pending: list[tracing.Span] = []
        self._waiting: list[tracing.Span] = []
        self._traces: OrderedDict[str, str | None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._installed = False
        self._active = False

    def __call__(self, span: tracing.Span) -> None:
        if self._active:
            self._pending.append(span)

    def start(self) -> None:
        # tracing has no way to remove a sink: a stopped sink stays installed, inactive.
        if not self._installed:
            tracing.add_sink(self)
            self._installed = True
        self._active = True
        self._task = asyncio.create_task(self._run(), name="trace-sink")

    async def stop(self) -> None:
        self._active = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                LOG.exception("could not store trace spans")

    def _learn(self, span: tracing.Span) -> None:
        uuid = span.attributes.get("instance_uuid")
        if span.service.startswith("compute") or uuid:
            if uuid or span.trace_id not in self._traces:
                self._traces[span.trace_id] = str(uuid) if uuid else None
            self._traces.move_to_end(span.trace_id)
            while len(self._traces) > _KNOWN_TRACES:
                self._traces.popitem(last=False)

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        for span in batch:
            self._learn(span)
        now = time.time()
        keep: list[tuple[tracing.Span, str | None]] = []
        still_waiting: list[tracing.Span] = []
        for span in [*self._waiting, *batch]:
            if span.trace_id in self._traces:
                uuid = span.attributes.get("instance_uuid") or self._traces[span.trace_id]
                keep.append((span, str(uuid) if uuid else None))
            elif now - (span.end or span.start) < _GRACE:
                still_waiting.append(span)
        self._waiting = still_waiting
        if keep:
            async with self.db.session() as session:
                await traces.add(session, keep)
