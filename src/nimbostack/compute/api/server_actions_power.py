"""Power and lock actions: stop, start, reboot, pause/unpause, suspend/resume, lock, reset."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute import states as st
from nimbostack.compute.api import action_guard
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import target
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import (
    InstanceTask,
    PauseInstance,
    RebootInstance,
    ResumeInstance,
    StartInstance,
    StopInstance,
    SuspendInstance,
    UnpauseInstance,
)
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import BadRequest, Forbidden
from nimbostack.core.rpc import Message

HARD_REBOOT_TASKS: tuple[str | None, ...] = (
    None,
    st.REBOOTING,
    st.REBOOT_PENDING,
    st.REBOOT_STARTED,
    st.REBOOTING_HARD,
    st.REBOOT_PENDING_HARD,
    st.REBOOT_STARTED_HARD,
)

# API action -> (transition, the agent's message)
SIMPLE: dict[str, tuple[Transition, type[InstanceTask]]] = {
    "os-stop": (
        Transition("stop", (st.ACTIVE, st.RESIZED, st.ERROR), task_state=st.POWERING_OFF),
        StopInstance,
    ),
    "os-start": (Transition("start", (st.STOPPED,), task_state=st.POWERING_ON), StartInstance),
    "pause": (Transition("pause", (st.ACTIVE,), task_state=st.PAUSING), PauseInstance),
    "unpause": (Transition("unpause", (st.PAUSED,), task_state=st.UNPAUSING), UnpauseInstance),
    "suspend": (Transition("suspend", (st.ACTIVE,), task_state=st.SUSPENDING), SuspendInstance),
    "resume": (Transition("resume", (st.SUSPENDED,), task_state=st.RESUMING), ResumeInstance),
}
SOFT_REBOOT = Transition("reboot", (st.ACTIVE,), task_state=st.REBOOTING)
HARD_REBOOT = Transition(
    "reboot",
    (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED, st.ERROR),
    HARD_REBOOT_TASKS,
    task_state=st.REBOOTING_HARD,
)


async def cast(req: ApiRequest, instance: Instance, msg: Message, host: str | None = None) -> None:
    """Cast ``msg`` to the agent of ``host`` (default: the server's)."""
    await state_of(req).rpc.cast_agent(req.context, host or instance.host or "", msg)


def _simple(name: str) -> Any:
    transition, message = SIMPLE[name]

    async def handler(req: ApiRequest, instance: Instance, body: Any) -> Response:
        await action_guard.begin(req, state_of(req), instance, transition)
        await cast(req, instance, message(instance.uuid, req.context.request_id))
        return empty(202)

    return handler


async def reboot(req: ApiRequest, instance: Instance, body: Any) -> Response:
    kind = body["type"]
    if kind.upper() not in ("SOFT", "HARD"):
        raise BadRequest("Invalid input for field 'type': must be 'SOFT' or 'HARD'")
    hard = kind.upper() == "HARD"
    await action_guard.begin(req, state_of(req), instance, HARD_REBOOT if hard else SOFT_REBOOT)
    await cast(req, instance, RebootInstance(instance.uuid, req.context.request_id, hard=hard))
    return empty(202)


LOCK = Transition("lock", None, None, check_lock=False)
UNLOCK = Transition("unlock", None, None, check_lock=False)


async def lock(req: ApiRequest, instance: Instance, body: Any) -> Response:
    reason = None
    if isinstance(body, dict) and (req.version or Version(2, 1)).matches("2.73"):
        reason = body.get("locked_reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 255):
            raise BadRequest("Invalid input for field 'locked_reason'")
    owner = "owner" if req.context.project_id == instance.project_id else "admin"
    values = {"locked": True, "locked_by": owner, "locked_reason": reason}
    await action_guard.begin(req, state_of(req), instance, LOCK, values)
    return empty(202)


async def unlock(req: ApiRequest, instance: Instance, body: Any) -> Response:
    if instance.locked_by == "admin" and not req.allowed(
        "os_compute_api:os-lock-server:unlock:unlock_override", target(instance)
    ):
        raise Forbidden(f"Instance {instance.uuid} was locked by an administrator")
    values = {"locked": False, "locked_by": None, "locked_reason": None}
    await action_guard.begin(req, state_of(req), instance, UNLOCK, values)
    return empty(202)


RESET = Transition("os-resetState", None, None, check_lock=False, record="resetState")


async def reset_state(req: ApiRequest, instance: Instance, body: Any) -> Response:
    values = {"vm_state": body["state"], "task_state": None}
    await action_guard.begin(req, state_of(req), instance, RESET, values)
    return empty(202)


ACTIONS: dict[str, Any] = {name: _simple(name) for name in SIMPLE}
ACTIONS.update({"reboot": reboot, "lock": lock, "unlock": unlock, "os-resetState": reset_state})
