"""``/v2.0/quotas``: each project's limits, their defaults, and their usage (quota_details)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network import errors
from nimbostack.network.api import access
from nimbostack.network.api.validators import integer
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import quotas
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "quotas",
        "Quota management support",
        "Expose functions for quotas management per project",
        "2012-07-29T10:00:00-00:00",
    ),
    Extension(
        "quota-check-limit",
        "Quota engine limit check",
        "Support for checking the resource usage before applying a new quota limit",
        "2021-09-08T16:00:00-00:00",
    ),
    Extension(
        "quota-check-limit-default",
        "Quota engine limit check by default",
        "By default, the Neutron quota engine checks the resource usage before applying a "
        "new quota limit",
        "2024-08-21T16:00:00-00:00",
    ),
    Extension(
        "quota_details",
        "Quota details management support",
        "Expose functions for quotas usage statistics per project",
        "2017-02-10T10:00:00-00:00",
    ),
)
_LIMIT = integer(-1, 2**31 - 1)


def _project(req: ApiRequest) -> str:
    """The project of the path; another project's quotas need the get_quota rule."""
    project_id = req.param("project_id")
    if project_id != req.context.project_id:
        access.enforce(req, "get_quota", {"project_id": project_id})
    return project_id


async def list_quotas(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        projects = await quotas.projects_with_overrides(s)
        found = []
        for project_id in projects:
            if access.allowed(req, "get_quota", {"project_id": project_id}):
                limits = await quotas.limits(s, state.conf, project_id)
                found.append({"project_id": project_id, "tenant_id": project_id, **limits})
    return json_response({"quotas": found})


async def show_quota(req: ApiRequest) -> Response:
    state = state_of(req)
    project_id = _project(req)
    async with state.db.reader() as s:
        limits = await quotas.limits(s, state.conf, project_id)
    return json_response({"quota": limits})


async def show_quota_defaults(req: ApiRequest) -> Response:
    _project(req)
    return json_response({"quota": quotas.defaults(state_of(req).conf)})


async def show_quota_details(req: ApiRequest) -> Response:
    state = state_of(req)
    project_id = _project(req)
    async with state.db.reader() as s:
        limits = await quotas.limits(s, state.conf, project_id)
        used = await quotas.usage(s, project_id)
    details = {
        name: {"limit": limit, "used": used[name], "reserved": 0} for name, limit in limits.items()
    }
    return json_response({"quota": details})


def _values(body: Any) -> tuple[dict[str, int], bool]:
    """The limits of a PUT body, and whether ``force`` skips the usage check."""
    if not isinstance(body, dict) or not isinstance(body.get("quota"), dict) or len(body) != 1:
        raise errors.HTTPBadRequest("Unable to find 'quota' in request body")
    wanted: dict[str, Any] = dict(body["quota"])
    force = wanted.pop("force", None) is True
    # Checking usage is the default (quota-check-limit-default): the flag changes nothing.
    wanted.pop("check_limit", None)
    unknown = sorted(set(wanted) - set(quotas.RESOURCES))
    if unknown:
        raise errors.HTTPBadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    values = {}
    for name, value in wanted.items():
        try:
            values[name] = _LIMIT(value)
        except ValueError as exc:
            raise errors.HTTPBadRequest(f"Invalid input for {name}. Reason: {exc}.") from None
    return values, force


async def update_quota(req: ApiRequest) -> Response:
    state = state_of(req)
    project_id = req.param("project_id")
    access.enforce(req, "update_quota", {"project_id": project_id})
    values, force = _values(await req.json())
    async with state.db.session() as s:
        # Under the lock creates take, so usage cannot grow past the new limit meanwhile.
        await quotas.lock_project(s, project_id)
        if not force:
            await _check_usage(s, project_id, values)
        await quotas.set_limits(s, project_id, values)
        limits = await quotas.limits(s, state.conf, project_id)
    return json_response({"quota": limits})


async def _check_usage(s: Any, project_id: str, values: dict[str, int]) -> None:
    bounded = [name for name, limit in values.items() if limit != -1]
    used = await quotas.usage(s, project_id, bounded)
    for name in bounded:
        if used[name] > values[name]:
            raise errors.HTTPBadRequest(
                f"Quota limit {values[name]} for {name} must be greater than or equal to "
                f"already used {used[name]}"
            )


async def delete_quota(req: ApiRequest) -> Response:
    state = state_of(req)
    project_id = req.param("project_id")
    access.enforce(req, "delete_quota", {"project_id": project_id})
    async with state.db.session() as s:
        await quotas.lock_project(s, project_id)
        await quotas.reset(s, project_id)
    return empty(204)
