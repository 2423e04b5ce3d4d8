"""Handler for GET /allocation_candidates (1.10+), shaped per microversion."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.api.schema import MAX_BIGINT
from nimbostack.core.errors import NotFound
from nimbostack.placement.api.params import at_least, bad, request_groups
from nimbostack.placement.objects import candidates, names, summaries
from nimbostack.placement.objects.providers import normalize_uuid
from nimbostack.placement.state import state_of

_BASE = {"resources", "limit", "required", "member_of", "in_tree", "group_policy"}


def _check_params(req: ApiRequest) -> None:
    if not at_least(req, "1.10"):
        raise NotFound("The resource could not be found.")
    for key in req.query:
        stem = key.rstrip("0123456789") if not at_least(req, "1.33") else key.split("_")[0]
        known = key in _BASE or (at_least(req, "1.25") and _grouped(key))
        if not known:
            raise bad(f"Invalid query string parameters: '{key}' is not allowed ({stem}).")


def _grouped(key: str) -> bool:
    return any(key.startswith(p) for p in ("resources", "required", "member_of"))


def _query(req: ApiRequest) -> candidates.Query:
    groups = request_groups(req, {"resources", "required", "member_of"})
    if not any(g.resources for g in groups.values()):
        raise bad("Invalid query string parameters: 'resources' is a required property")
    for suffix, g in groups.items():
        if suffix and not g.resources:
            raise bad(f"All request groups must specify resources: 'resources{suffix}' is missing")
    numbered = [s for s in groups if s]
    policy = req.query.get("group_policy")
    if len(numbered) > 1 and policy is None:
        raise bad(
            'The "group_policy" parameter is required when specifying more than one '
            '"resources{N}" parameter.'
        )
    if policy not in (None, "none", "isolate"):
        raise bad(f"Invalid group_policy {policy!r}: expected 'none' or 'isolate'.")
    limit = None
    if "limit" in req.query:
        raw = req.query["limit"]
        limit = bounded_int(raw, 1, MAX_BIGINT)
        if limit is None:
            raise bad(
                "Invalid query string parameters: limit must be a positive integer, "
                f"got {raw[:64]!r}"
            )
    in_tree = req.query.get("in_tree")
    return candidates.Query(
        groups=groups,
        isolate=policy == "isolate",
        in_tree=normalize_uuid(in_tree, "in_tree") if in_tree is not None else None,
        limit=limit,
    )


def _request_body(
    req: ApiRequest, cand: Any, uuids: dict[int, str], rc_names: dict[int, str]
) -> dict[str, Any]:
    allocs = {
        uuids[pid]: {"resources": {rc_names[rc]: n for rc, n in res.items()}}
        for pid, res in cand.allocations.items()
    }
    body: dict[str, Any]
    if at_least(req, "1.12"):
        body = {"allocations": allocs}
    else:
        body = {
            "allocations": [
                {"resource_provider": {"uuid": u}, "resources": v["resources"]}
                for u, v in allocs.items()
            ]
        }
    if at_least(req, "1.34"):
        body["mappings"] = {s: [uuids[p] for p in pids] for s, pids in cand.mappings.items()}
    return body


def _summary_body(req: ApiRequest, summary: summaries.Summary) -> dict[str, Any]:
    body: dict[str, Any] = {"resources": summary.resources}
    if at_least(req, "1.17"):
        body["traits"] = summary.traits
    if at_least(req, "1.29"):
        body["parent_provider_uuid"] = summary.parent_uuid
        body["root_provider_uuid"] = summary.root_uuid
    return body


async def list_allocation_candidates(req: ApiRequest) -> Response:
    req.enforce("placement:allocation_candidates:list")
    _check_params(req)
    query = _query(req)
    state = state_of(req)
    async with state.db.reader() as s:
        result, classes = await candidates.find(s, query, int(state.conf.placement.max_candidates))
        used = {pid for c in result.candidates for pid in c.allocations}
        shown = set(result.providers) if at_least(req, "1.29") else used
        only = None if at_least(req, "1.27") else set(classes.values())
        found = await summaries.load(s, shown, only)
        rc_names = await names.class_names(s)
    uuids = {pid: summary.uuid for pid, summary in found.items()}
    body = {
        "allocation_requests": [_request_body(req, c, uuids, rc_names) for c in result.candidates],
        "provider_summaries": {sm.uuid: _summary_body(req, sm) for sm in found.values()},
    }
    return json_response(body)
