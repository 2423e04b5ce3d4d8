"""Query-string grammar shared by provider listing and allocation candidates.

``resources=VCPU:1,MEMORY_MB:512``, ``required=A,!B`` (``in:A,B`` from 1.39),
``member_of=in:a,b`` / ``!a`` / ``!in:a,b`` (forbidden from 1.32), and their
numbered forms ``resources1=`` and so on (from 1.25; any suffix from 1.33).
"""

from __future__ import annotations

import re

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest
from nimbostack.placement.objects.filters import RequestGroup
from nimbostack.placement.objects.providers import normalize_uuid

BAD_VALUE = "placement.query.bad_value"
# Amounts are bounded like inventory totals (SQL integers). Each request group, each
# required trait or trait set and each member_of set adds a clause to the query (and
# to compiling it, tens of milliseconds for a new shape), so a request has only so many.
MAX_AMOUNT = 2**31 - 1
MAX_GROUPS = 8
MAX_CLAUSES = 16
_GROUPED = re.compile(r"^(resources|required|member_of|in_tree)([A-Za-z0-9_-]*)$")
_AMOUNT = re.compile(r"^[1-9][0-9]*$")


def bad(message: str) -> BadRequest:
    return BadRequest(message, code=BAD_VALUE)


def at_least(req: ApiRequest, version: str) -> bool:
    return req.version is None or req.version.matches(version)


def parse_resources(raw: str, field: str = "resources") -> dict[str, int]:
    result: dict[str, int] = {}
    for item in raw.split(","):
        name, sep, amount = item.strip().partition(":")
        amount = amount.strip()
        if not sep or not name or not _AMOUNT.match(amount):
            raise bad(
                f"Badly formed {field} parameter. Expected {field} query string parameter "
                f"in form: ?{field}=VCPU:2,MEMORY_MB:1024. Got: {raw}."
            )
        if name in result:
            raise bad(f"Resource class {name} appears more than once in {field}: {raw}.")
        if len(amount.strip()) > len(str(MAX_AMOUNT)) or int(amount) > MAX_AMOUNT:
            raise bad(f"Invalid amount of {name} in {field}: at most {MAX_AMOUNT}.")
        result[name] = int(amount)
    return result


def parse_required(req: ApiRequest, raws: list[str], group: RequestGroup, field: str) -> None:
    allow_forbidden = at_least(req, "1.22")
    for raw in raws:
        if raw.startswith("in:"):
            if not at_least(req, "1.39"):
                raise bad(f"Invalid query string parameters: '{field}' does not accept in:.")
            names = [n.strip() for n in raw[3:].split(",")]
            if any(not n or n.startswith("!") for n in names):
                raise bad(f"Invalid query string parameters: bad trait list in '{field}={raw}'.")
            group.any_of.append(set(names))
            continue
        for name in (n.strip() for n in raw.split(",")):
            if name.startswith("!") and allow_forbidden and len(name) > 1:
                group.forbidden.add(name[1:])
            elif name and not name.startswith("!"):
                group.required.add(name)
            else:
                raise bad(f"Invalid query string parameters: bad trait '{name}' in '{field}'.")
    clash = group.required & group.forbidden
    if clash:
        raise bad(f"Conflicting required and forbidden traits found: {', '.join(sorted(clash))}")


def _uuids(text: str, field: str) -> set[str]:
    return {normalize_uuid(u.strip(), field) for u in text.split(",") if u.strip()} or {
        normalize_uuid("", field)
    }


def parse_member_of(req: ApiRequest, raws: list[str], group: RequestGroup, field: str) -> None:
    if len(raws) > 1 and not at_least(req, "1.24"):
        raise bad(f"Invalid query string parameters: '{field}' may be given only once.")
    for raw in raws:
        forbidden = raw.startswith("!")
        if forbidden and not at_least(req, "1.32"):
            raise bad(f"Invalid query string parameters: forbidden aggregates in '{field}'.")
        text = raw[1:] if forbidden else raw
        if text.startswith("in:"):
            uuids = _uuids(text[3:], field)
        elif "," in text and not forbidden:
            raise bad(f"Badly formed {field}: use {field}=in:<uuid>,<uuid> for several.")
        else:
            uuids = _uuids(text, field)
        if forbidden:
            group.forbidden_aggs |= uuids
        else:
            group.member_of.append(uuids)


def request_groups(req: ApiRequest, allowed: set[str]) -> dict[str, RequestGroup]:
    """Every group named in the query string, keyed by suffix ("" for the unnamed one)."""
    groups: dict[str, RequestGroup] = {}
    for key in sorted(set(req.query.keys())):
        match = _GROUPED.match(key)
        if not match or match.group(1) not in allowed or match.group(1) == "in_tree":
            continue
        kind, suffix = match.groups()
        if suffix and not at_least(req, "1.25"):
            raise bad(f"Invalid query string parameters: '{key}' is not allowed.")
        if suffix and not suffix.isdigit() and not at_least(req, "1.33"):
            raise bad(f"Invalid query string parameters: '{key}' is not allowed.")
        group = groups.setdefault(suffix, RequestGroup(suffix=suffix))
        if sum(1 for name in groups if name) > MAX_GROUPS:
            raise bad(f"Too many request groups: at most {MAX_GROUPS} suffixed groups.")
        values = req.query.getlist(key)
        if kind == "resources":
            if len(values) > 1:
                raise bad(f"Query parameter '{key}' may be given only once.")
            group.resources = parse_resources(values[0], key)
        elif kind == "required":
            parse_required(req, values, group, key)
        else:
            parse_member_of(req, values, group, key)
    _check_clauses(groups)
    return groups


def _check_clauses(groups: dict[str, RequestGroup]) -> None:
    traits = sum(len(g.required) + len(g.any_of) for g in groups.values())
    aggregates = sum(len(g.member_of) for g in groups.values())
    if traits > MAX_CLAUSES:
        raise bad(
            f"Too many required traits: at most {MAX_CLAUSES} traits and trait sets (in:) "
            "across all groups."
        )
    if aggregates > MAX_CLAUSES:
        raise bad(f"Too many member_of filters: at most {MAX_CLAUSES} across all groups.")
