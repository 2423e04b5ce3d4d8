"""Builds the compute API app (port 8774) and the metadata app (port 8775) from a state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from nimbostack.compute import policies
from nimbostack.compute.api.routes import ROUTES
from nimbostack.compute.api.versions import VERSIONS
from nimbostack.compute.metadata.app import build_metadata_app as _build_metadata_app
from nimbostack.core.api.app import ApiSettings
from nimbostack.core.api.app import build_app as build_core_app
from nimbostack.core.api.errorbody import nova_error
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.auth.tokens import RemoteTokenValidator, TokenValidator
from nimbostack.core.options import max_body_size


def _identity_url(conf: Any) -> str:
    return f"http://{conf.DEFAULT.get('my_ip', '127.0.0.1')}:{conf.identity.get('port', 5000)}"


def _enforcer(state: Any) -> Enforcer:
    """The state's enforcer, else compute's defaults plus <policy_dir>/compute.yaml."""
    found = getattr(state, "enforcer", None)
    if isinstance(found, Enforcer):
        return found
    conf = state.conf
    data_dir = conf.DEFAULT.get("data_dir")
    policy_dir = conf.DEFAULT.get("policy_dir") or (Path(data_dir) / "policy" if data_dir else None)
    path = Path(policy_dir) / "compute.yaml" if policy_dir else None
    enforcer = Enforcer(policies.rules(), path)
    if hasattr(state, "enforcer"):
        state.enforcer = enforcer
    return enforcer


def build_app(state: Any, validator: TokenValidator | None = None, auth_uri: str = "") -> Starlette:
    """The Nova v2.1 API over ``state`` (a ComputeState, or anything with ApiState's fields).

    Tokens are checked by ``validator``, by default with identity over REST at
    ``[DEFAULT] my_ip`` and ``[identity] port``.
    """
    identity = _identity_url(state.conf)
    settings = ApiSettings(
        service="compute",
        error_format=nova_error,
        validator=validator or RemoteTokenValidator(identity),
        enforcer=_enforcer(state),
        versions=VERSIONS,
        auth_uri=auth_uri or identity,
        max_body_size=max_body_size(state.conf, "compute"),
    )
    app = build_core_app(ROUTES, settings)
    app.state.compute = state
    return app


def build_metadata_app(state: Any) -> Starlette:
    """The metadata API (OpenStack and EC2 formats) that guests reach through a proxy."""
    return _build_metadata_app(state)
