"""Which pages may open a console websocket: the Origin check against cross-site hijacking.

A browser sends the console proxy its cookies whatever page opens the websocket, so a
page of another site could otherwise drive a console with the user's token. As Nova's
proxy does, a browser's ``Origin`` must name this proxy's host (the ``Host`` it was
reached at, or the host of its base URL) or a configured allowed origin, over the base
URL's protocol (http/ws or https/wss; a TLS-terminating proxy says which in
``X-Forwarded-Proto``). Clients that send no Origin are not browsers and are let in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# websocket schemes have the security of their HTTP counterparts.
_SECURITY = {"http": "http", "ws": "http", "https": "https", "wss": "https"}


def _host_of(authority: str) -> str | None:
    """The host name of ``host[:port]`` (or ``[v6]:port``), lower-cased."""
    try:
        return urlsplit(f"//{authority}").hostname
    except ValueError:
        return None


@dataclass(frozen=True)
class OriginPolicy:
    """The origins the proxy serves: its base URL's, plus any allowed by configuration."""

    base_url: str
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def build(cls, base_url: str, allowed: Iterable[str] = ()) -> OriginPolicy:
        return cls(base_url, frozenset(host.strip().lower() for host in allowed if host.strip()))

    def refusal(self, headers: Mapping[str, str]) -> str | None:
        """Why a websocket with these request headers is refused; None if it is not."""
        origin = headers.get("origin")
        if origin is None:
            return None
        try:
            parsed = urlsplit(origin)
            origin_host = parsed.hostname
        except ValueError:
            return "Origin header not valid."
        scheme = headers.get("x-forwarded-proto") or parsed.scheme
        if not origin_host or not scheme:
            return "Origin header not valid."
        if origin_host not in self._expected_hosts(headers.get("host", "")):
            return "Origin header does not match this host."
        expected = _SECURITY.get(urlsplit(self.base_url).scheme.lower())
        if _SECURITY.get(scheme.lower()) != expected:
            return "Origin header protocol does not match this host."
        return None

    def _expected_hosts(self, host_header: str) -> set[str]:
        hosts = set(self.allowed_hosts)
        for host in (_host_of(host_header), urlsplit(self.base_url).hostname):
            if host:
                hosts.add(host)
        return hosts
