"""The /v3/auth API: issue, validate, check and revoke tokens; catalog and scopes."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import NotFound, Unauthorized
from nimbostack.identity import authn, scope
from nimbostack.identity.api.auth_schema import AUTH_SCHEMA
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import Domain, Project
from nimbostack.identity.objects.assignments import effective_roles
from nimbostack.identity.objects.catalog import build_catalog
from nimbostack.identity.state import IdentityState, state_of
from nimbostack.identity.tokens import provider
from nimbostack.identity.tokens.formats import TokenPayload, new_audit_id
from nimbostack.identity.tokens.revoke import revoke


async def issue_token(req: ApiRequest) -> Response:
    """POST /v3/auth/tokens: authenticate, resolve the scope, seal a token."""
    state = state_of(req)
    body = await req.json(AUTH_SCHEMA)
    auth = body["auth"]
    identity = auth["identity"]
    methods = identity["methods"]
    who, target = await _authenticate(state, identity, methods, auth.get("scope"))
    payload = _payload(state.conf.identity.token_expiration, who, target)
    token = provider.issue(state, payload)
    nocatalog = "nocatalog" in req.query
    _p, token_body = await provider.validate(state, token, catalog=not nocatalog)
    return json_response(token_body, 201, headers={"X-Subject-Token": token})


async def _authenticate(
    state: IdentityState, identity: dict[str, Any], methods: list[str], scope_ref: Any
) -> tuple[authn.Authenticated, scope.Scope]:
    """Check the credentials, then resolve the scope."""
    if "password" in methods and "password" in identity:
        user_id = await authn.by_password(state, identity["password"]["user"])
        who = authn.Authenticated(user_id=user_id, methods=("password",))
    elif "application_credential" in methods and "application_credential" in identity:
        who = await authn.by_app_cred(state, identity["application_credential"])
    elif "token" in methods and "token" in identity:
        who = await authn.by_token(state, identity["token"]["id"])
    else:
        raise Unauthorized("The request you have made requires authentication.")
    async with state.db.reader() as session:
        target = await scope.resolve(session, who, scope_ref)
    return who, target


def _payload(lifetime: int, who: authn.Authenticated, target: scope.Scope) -> TokenPayload:
    now = time.time()
    expires = now + lifetime
    if who.expires_at is not None:
        expires = min(expires, who.expires_at)
    audit_ids: tuple[str, ...] = (new_audit_id(),)
    if who.parent is not None:
        audit_ids = (new_audit_id(), who.parent.audit_chain_id)
    return TokenPayload(
        user_id=who.user_id,
        methods=who.methods,
        expires_at=expires,
        issued_at=now,
        audit_ids=audit_ids,
        project_id=target.project_id,
        domain_id=target.domain_id,
        system=target.system,
        app_cred_id=who.app_cred.id if who.app_cred else None,
    )


async def _subject(req: ApiRequest, rule: str) -> tuple[TokenPayload, dict[str, Any]]:
    token = req.http.headers.get("x-subject-token")
    if not token:
        raise NotFound("Could not find token: no X-Subject-Token header.")
    allow_expired = req.query_bool("allow_expired")
    try:
        payload, body = await provider.validate(
            state_of(req), token, catalog="nocatalog" not in req.query, allow_expired=allow_expired
        )
    except Unauthorized:
        raise NotFound(f"Could not find token: {token[:12]}….") from None
    req.enforce(rule, {"target": {"token": {"user_id": payload.user_id}}})
    return payload, body


async def validate_token(req: ApiRequest) -> Response:
    token = req.http.headers.get("x-subject-token", "")
    _payload, body = await _subject(req, "identity:validate_token")
    return json_response(body, headers={"X-Subject-Token": token})


async def check_token(req: ApiRequest) -> Response:
    await _subject(req, "identity:check_token")
    return empty(200)


async def revoke_token(req: ApiRequest) -> Response:
    payload, _body = await _subject(req, "identity:revoke_token")
    state = state_of(req)
    async with state.db.session() as session:
        await revoke(session, audit_id=payload.audit_ids[0])
    state.changed()
    return empty(204)


async def get_catalog(req: ApiRequest) -> Response:
    req.enforce("identity:get_auth_catalog")
    if not (req.context.project_id or req.context.domain_id or req.context.system_scope):
        raise Unauthorized("The service catalog is only available with a scoped token.")
    state = state_of(req)
    async with state.db.session() as session:
        catalog = await build_catalog(session)
    return json_response({"catalog": catalog, "links": self_link(req, "/v3/auth/catalog")})


async def _my_projects(req: ApiRequest) -> list[Project]:
    state = state_of(req)
    user_id = req.context.user_id or ""
    async with state.db.session() as session:
        rows = (await session.scalars(select(Project).where(Project.enabled))).all()
        return [p for p in rows if await effective_roles(session, user_id, project_id=p.id)]


async def _my_domains(req: ApiRequest) -> list[Domain]:
    state = state_of(req)
    user_id = req.context.user_id or ""
    async with state.db.session() as session:
        rows = (await session.scalars(select(Domain).where(Domain.enabled))).all()
        return [d for d in rows if await effective_roles(session, user_id, domain_id=d.id)]


async def get_projects(req: ApiRequest) -> Response:
    req.enforce("identity:get_auth_projects")
    items = [
        {
            "id": p.id,
            "name": p.name,
            "domain_id": p.domain_id,
            "enabled": p.enabled,
            "description": p.description,
            "parent_id": p.parent_id,
            "is_domain": False,
            "tags": p.tags,
            "links": self_link(req, f"/v3/projects/{p.id}"),
        }
        for p in await _my_projects(req)
    ]
    return json_response(collection(req, "projects", items))


async def get_domains(req: ApiRequest) -> Response:
    req.enforce("identity:get_auth_domains")
    items = [
        {
            "id": d.id,
            "name": d.name,
            "enabled": d.enabled,
            "description": d.description,
            "links": self_link(req, f"/v3/domains/{d.id}"),
        }
        for d in await _my_domains(req)
    ]
    return json_response(collection(req, "domains", items))


async def get_system(req: ApiRequest) -> Response:
    req.enforce("identity:get_auth_system")
    state = state_of(req)
    async with state.db.session() as session:
        roles = await effective_roles(session, req.context.user_id or "", system=True)
    system = [{"all": True}] if roles else []
    return json_response({"system": system, "links": self_link(req, "/v3/auth/system")})
