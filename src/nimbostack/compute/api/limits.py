"""``GET /limits``: the project's absolute limits and what it uses of them."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.compute import quota_limits as quota_rules
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.compute.objects import quotas as store
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response


async def show_limits(req: ApiRequest) -> Response:
    state = state_of(req)
    project_id = req.context.project_id or ""
    other = req.query.get("tenant_id")
    if other and other != project_id:
        req.enforce("os_compute_api:limits:other_project", {"project_id": other})
        project_id = other
    req.enforce("os_compute_api:limits", {"project_id": project_id})
    limits = await quota_rules.limits(state.db, compute_conf(state), project_id)
    used = await store.usage(state.db, project_id, req.context.user_id)
    absolute = {
        "maxTotalInstances": limits["instances"],
        "maxTotalCores": limits["cores"],
        "maxTotalRAMSize": limits["ram"],
        "maxTotalKeypairs": limits["key_pairs"],
        "maxServerMeta": limits["metadata_items"],
        "maxServerGroups": limits["server_groups"],
        "maxServerGroupMembers": limits["server_group_members"],
        "maxImageMeta": limits["metadata_items"],
        "totalInstancesUsed": used["instances"],
        "totalCoresUsed": used["cores"],
        "totalRAMUsed": used["ram"],
        "totalServerGroupsUsed": used["server_groups"],
    }
    version = req.version or Version(2, 1)
    if not version.matches("2.36"):
        absolute.update(
            maxSecurityGroups=10,
            maxSecurityGroupRules=20,
            maxTotalFloatingIps=10,
            totalSecurityGroupsUsed=0,
            totalFloatingIpsUsed=0,
        )
    if not version.matches("2.57"):
        absolute.update(maxPersonality=5, maxPersonalitySize=10240)
    return json_response({"limits": {"rate": [], "absolute": absolute}})
