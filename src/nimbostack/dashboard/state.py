"""What the dashboard's pages share: settings, sessions, templates, the HTTP pool."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from nimbostack.clients import tls
from nimbostack.clients.identity_auth import IdentityAuth
from nimbostack.dashboard.render import Renderer
from nimbostack.dashboard.session import SessionStore


@dataclass(frozen=True)
class Settings:
    """The [dashboard] options, resolved (the auth URL and region filled in)."""

    auth_url: str
    region: str
    default_domain: str = "Default"
    page_size: int = 50
    fast_tick: float = 0.1
    slow_tick: float = 3.0
    secure_cookies: bool = False


@dataclass
class DashboardState:
    settings: Settings
    http: httpx.AsyncClient
    auth: IdentityAuth
    sessions: SessionStore
    renderer: Renderer


def build_state(settings: Settings, idle_timeout: float = 0.0) -> DashboardState:
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(60.0, connect=10.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        verify=tls.context(),
    )
    return DashboardState(
        settings=settings,
        http=http,
        auth=IdentityAuth(settings.auth_url, http),
        sessions=SessionStore(idle_timeout),
        renderer=Renderer(),
    )
