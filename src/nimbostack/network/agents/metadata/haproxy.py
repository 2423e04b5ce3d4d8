"""haproxy's configuration for one namespace's metadata proxy.

The proxy listens where the guest's 169.254.169.254 lands in its namespace: the address
itself on port 80 in a DHCP namespace (the DHCP agent puts it on its interface), port
9697 on every address in a router namespace (the router redirects port 80 there). It
forwards over the agent's unix socket, replacing whatever identity headers the guest
sent with the namespace's network or router id and the client's own address.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

METADATA_ADDRESS = "169.254.169.254"
METADATA_PORT = 80
ROUTER_PORT = 9697
NETWORK_HEADER = "X-Neutron-Network-ID"
ROUTER_HEADER = "X-Neutron-Router-ID"


@dataclass(frozen=True)
class ProxySpec:
    """One namespace's proxy: where it listens and whom it says the guest is behind."""

    namespace: str
    network_id: str | None
    router_id: str | None

    def __post_init__(self) -> None:
        if (self.network_id is None) == (self.router_id is None):
            raise ValueError(f"{self.namespace}: a proxy serves one network or one router")

    @property
    def bind(self) -> str:
        if self.network_id is not None:
            return f"{METADATA_ADDRESS}:{METADATA_PORT}"
        return f"0.0.0.0:{ROUTER_PORT}"

    @property
    def identity(self) -> tuple[str, str]:
        if self.network_id is not None:
            return NETWORK_HEADER, self.network_id
        return ROUTER_HEADER, str(self.router_id)


def render(spec: ProxySpec, pid_file: Path, socket_path: Path) -> str:
    """The configuration file of ``spec``'s haproxy."""
    header, value = spec.identity
    return "\n".join(
        [
            "global",
            "    daemon",
            "    maxconn 1024",
            f"    pidfile {pid_file}",
            "",
            "defaults",
            "    mode http",
            "    option http-server-close",
            "    option forwardfor",
            "    timeout connect 5s",
            "    timeout client 30s",
            "    timeout http-request 30s",
            "    timeout server 65s",
            "",
            f"listen {spec.namespace}",
            f"    bind {spec.bind}",
            # Only haproxy says who the guest is: drop what the guest claims.
            "    http-request del-header X-Forwarded-For",
            f"    http-request del-header {NETWORK_HEADER}",
            f"    http-request del-header {ROUTER_HEADER}",
            f"    http-request set-header {header} {value}",
            f"    server metadata unix@{socket_path}",
            "",
        ]
    )
