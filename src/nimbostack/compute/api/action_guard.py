"""The state machine every server action passes: lock, vm/task state, guarded task_state.

An action names the vm_states and task_states it may start from, as Nova's
``check_instance_state`` does; the task_state is then set with a conditional update so
that of two concurrent actions one wins and the other gets the same 409.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbostack.compute.api.deps import ApiState
from nimbostack.compute.db.models import Instance
from nimbostack.compute.objects import actions, instance_queries, instances
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import Conflict

IDLE: list[str | None] = [None]


@dataclass(frozen=True)
class Transition:
    """Where an action may start and what it sets while it runs."""

    name: str  # the API's name for it, used in the 409 message
    vm_states: tuple[str, ...] | None
    task_states: tuple[str | None, ...] | None = (None,)
    task_state: str | None = None  # set while the action runs
    record: str | None = None  # instance action name (None: the API name)
    check_lock: bool = True
    values: dict[str, Any] = field(default_factory=dict)


def invalid_state(name: str, instance: Instance, attr: str, value: Any) -> Conflict:
    return Conflict(f"Cannot '{name}' instance {instance.uuid} while it is in {attr} {value}")


def check(req: ApiRequest, instance: Instance, t: Transition) -> None:
    """Raise Nova's 409s: locked server (non-admin), then vm_state, then task_state."""
    if t.check_lock and instance.locked and not req.context.is_admin:
        raise Conflict(f"Instance {instance.uuid} is locked")
    if t.vm_states is not None and instance.vm_state not in t.vm_states:
        raise invalid_state(t.name, instance, "vm_state", instance.vm_state)
    if t.task_states is not None and instance.task_state not in t.task_states:
        raise invalid_state(t.name, instance, "task_state", instance.task_state)


async def begin(
    req: ApiRequest,
    state: ApiState,
    instance: Instance,
    t: Transition,
    values: dict[str, Any] | None = None,
) -> None:
    """Check, set the task state (and ``values``) if still allowed, record the action."""
    check(req, instance, t)
    changes = {**t.values, **(values or {})}
    if t.task_state is not None or t.task_states is not None:
        changes["task_state"] = t.task_state
    async with state.db.session() as s:
        won = await instance_queries.guarded_update(
            s,
            instance.uuid,
            changes,
            vm_states=list(t.vm_states) if t.vm_states is not None else None,
            task_states=list(t.task_states) if t.task_states is not None else None,
        )
        if won:
            await actions.start_action(s, req.context, instance.uuid, t.record or t.name)
    if not won:
        await _lost_race(req, state, instance, t)
    for key, value in changes.items():
        if key == "system_metadata":
            value = instances.merged_system_metadata(instance.system_metadata, value)
        setattr(instance, "metadata_" if key == "metadata" else key, value)


async def _lost_race(req: ApiRequest, state: ApiState, instance: Instance, t: Transition) -> None:
    fresh = await instance_queries.find(state.db, instance.uuid, None)
    if fresh is None:
        raise Conflict(f"Instance {instance.uuid} was deleted meanwhile")
    check(req, fresh, t)
    raise invalid_state(t.name, fresh, "task_state", fresh.task_state)
