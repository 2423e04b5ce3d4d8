"""What the agent does with a cast it could not handle: no instance is left mid-task.

A cast for an instance this agent has no handler for (an unknown or newer message),
or whose handler failed in a way the workflow did not catch, would otherwise leave the
task_state the API set (``pausing``, ``deleting``) until someone resets it by hand.
So the instance gets a fault naming the message and the error, which ``server show``
displays, and its task_state is cleared if it is still the one it had: a newer action
that took over meanwhile is left alone. The vm_state is kept, as when a driver call fails.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.messages import InstanceNotFound, UnexpectedTaskState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)


class UnhandledMessage(Exception):
    """A cast the agent could not carry out; its text becomes the instance's fault."""


async def cast_failed(
    agent: AgentHost, ctxt: RequestContext, name: str, args: dict[str, Any], exc: BaseException
) -> None:
    """Record a fault on the cast's instance and clear its task_state."""
    uuid = args.get("instance_uuid")
    if not isinstance(uuid, str):
        return
    async with agent.locks.hold(uuid):
        try:
            instance = await agent.conductor.get(ctxt, uuid)
        except InstanceNotFound:
            return
        reason = UnhandledMessage(f"{name} could not be handled on {agent.host}: {exc}")
        reason.__cause__ = exc
        await agent.conductor.fault(ctxt, uuid, reason)
        task = instance.task_state
        if task is None:
            return
        try:
            await agent.conductor.update(ctxt, uuid, {"task_state": None}, [task])
        except (UnexpectedTaskState, InstanceNotFound):
            LOG.info("%s: %s moved on before its task could be cleared", name, uuid)
