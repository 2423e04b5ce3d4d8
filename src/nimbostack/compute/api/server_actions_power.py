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
from nimbostack.compute.messages import InstanceAction
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import BadRequest, Forbidden

P = "os_compute_api:"
HARD_REBOOT_TASKS: tuple[str | None, ...] = (
    None,
    st.REBOOTING,
    st.REBOOT_PENDING,
    st.REBOOT_STARTED,
    st.REBOOTING_HARD,
    st.REBOOT_PENDING_HARD,
    st.REBOOT_STARTED_HARD,
)

# API action -> (policy rule, transition, agent action)
SIMPLE: dict[str, tuple[str, Transition, str]] = {
    "os-stop": (
        "servers:stop",
        Transition("stop", (st.ACTIVE, st.RESIZED, st.ERROR), task_state=st.POWERING_OFF),
        "stop",
    ),
    "os-start": (
        "servers:start",
        Transition("start", (st.STOPPED,), task_state=st.POWERING_ON),
        "start",
    ),
    "pause": (
        "os-pause-server:pause",
        Transition("pause", (st.ACTIVE,), task_state=st.PAUSING),
        "pause",
    ),
    "unpause": (
        "os-pause-server:unpause",
        Transition("unpause", (st.PAUSED,), task_state=st.UNPAUSING),
        "unpause",
    ),
    "suspend": (
        "os-suspend-server:suspend",
        Transition("suspend", (st.ACTIVE,), task_state=st.SUSPENDING),
        "suspend",
    ),
    "resume": (
        "os-suspend-server:resume",
        Transition("resume", (st.SUSPENDED,), task_state=st.RESUMING),
        "resume",
    ),
}
SOFT_REBOOT = Transition("reboot", (st.ACTIVE,), task_state=st.REBOOTING)
HARD_REBOOT = Transition(
    "reboot",
    (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED, st.ERROR),
    HARD_REBOOT_TASKS,
    task_state=st.REBOOTING_HARD,
)


async def cast(
    req: ApiRequest, instance: Instance, action: str, host: str | None = None, **args: Any
) -> None:
    """Cast a simple InstanceAction to the agent of ``host`` (default: the server's)."""
    msg = InstanceAction(instance.uuid, action, req.context.request_id, args)
    await state_of(req).rpc.cast_agent(req.context, host or instance.host or "", msg)


def _simple(name: str) -> Any:
    rule, transition, agent_action = SIMPLE[name]

    async def handler(req: ApiRequest, instance: Instance, body: Any) -> Response:
        req.enforce(P + rule, target(instance))
        await action_guard.begin(req, state_of(req), instance, transition)
        await cast(req, instance, agent_action)
        return empty(202)

    return handler


async def reboot(req: ApiRequest, instance: Instance, body: Any) -> Response:
    req.enforce(P + "servers:reboot", target(instance))
    kind = body.get("type") if isinstance(body, dict) else None
    if not isinstance(kind, str) or kind.upper() not in ("SOFT", "HARD"):
        raise BadRequest("Invalid input for field 'type': must be 'SOFT' or 'HARD'")
    hard = kind.upper() == "HARD"
    await action_guard.begin(req, state_of(req), instance, HARD_REBOOT if hard else SOFT_REBOOT)
    await cast(req, instance, "reboot_hard" if hard else "reboot_soft")
    return empty(202)


LOCK = Transition("lock", None, None, check_lock=False)
UNLOCK = Transition("unlock", None, None, check_lock=False)


async def lock(req: ApiRequest, instance: Instance, body: Any) -> Response:
    req.enforce(P + "os-lock-server:lock", target(instance))
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
    req.enforce(P + "os-lock-server:unlock", target(instance))
    if instance.locked_by == "admin" and not req.allowed(
        P + "os-lock-server:unlock:unlock_override", target(instance)
    ):
        raise Forbidden(f"Instance {instance.uuid} was locked by an administrator")
    values = {"locked": False, "locked_by": None, "locked_reason": None}
    await action_guard.begin(req, state_of(req), instance, UNLOCK, values)
    return empty(202)


RESET = Transition("os-resetState", None, None, check_lock=False, record="resetState")


async def reset_state(req: ApiRequest, instance: Instance, body: Any) -> Response:
    req.enforce(P + "os-admin-actions:reset_state", target(instance))
    wanted = body.get("state") if isinstance(body, dict) else None
    if wanted not in ("active", "error"):
        raise BadRequest("Invalid input for field 'state': must be 'active' or 'error'")
    values = {"vm_state": wanted, "task_state": None}
    await action_guard.begin(req, state_of(req), instance, RESET, values)
    return empty(202)


ACTIONS: dict[str, Any] = {name: _simple(name) for name in SIMPLE}
ACTIONS.update({"reboot": reboot, "lock": lock, "unlock": unlock, "os-resetState": reset_state})
