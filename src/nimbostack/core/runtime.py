"""The runtime one process's services share: config, data dir, listening ports, URLs."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from nimbostack.core import options as _options  # noqa: F401  (registers shared options)
from nimbostack.core.auth.policy import Enforcer, RuleDefault
from nimbostack.core.auth.tokens import RemoteTokenValidator, TokenValidator
from nimbostack.core.config import Config
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.errors import ConfigError


def bind_socket(host: str, port: int, name: str) -> socket.socket:
    """A listening TCP socket on host:port (0: any free port), close-on-exec."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"{name}: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


@dataclass
class Runtime:
    """Shared facts for the services of one process: config, paths, addresses.

    Listening sockets are bound through ``listen`` before anything is served, so a
    port of 0 becomes a real port that the catalog and ``url`` already know.
    """

    conf: Config
    data_dir: Path
    validators: dict[str, TokenValidator] = field(default_factory=dict)
    listeners: dict[tuple[str, str], socket.socket] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return str(self.conf.DEFAULT.host or socket.gethostname())

    def listen(self, section: str, option: str = "port") -> socket.socket:
        """The listening socket of ``[section] option``, bound on first use.

        A port of 0 binds any free port, which is then written back into the
        configuration, so URLs, the catalog and console links name the real one.
        """
        key = (section, option)
        sock = self.listeners.get(key)
        if sock is None or sock.fileno() == -1:
            # A stopped server closed its socket: bind the same port again.
            port = self.port(section, option)
            label = section if option == "port" else f"{section} {option}"
            sock = bind_socket(str(self.conf.DEFAULT.bind_host), port, label)
            if port == 0:
                self.conf.override(section, **{option: int(sock.getsockname()[1])})
            self.listeners[key] = sock
        return sock

    def port(self, section: str, option: str = "port") -> int:
        return int(self.conf.section(section).get(option))

    def bound_ports(self) -> dict[str, int]:
        """Every listening port of this process, named ``section`` or ``section.option``."""
        return {
            (section if option == "port" else f"{section}.{option}"): self.port(section, option)
            for section, option in self.listeners
        }

    def url(self, service: str, path: str = "") -> str:
        return f"http://{self.conf.DEFAULT.my_ip}:{self.port(service)}{path}"

    def database_url(self, service: str) -> str:
        own = self.conf.section(service).get("connection")
        if own:
            return str(own)
        shared = self.conf.database.connection
        if shared:
            return (
                make_url(shared)
                .set(database=f"nimbostack_{service}")
                .render_as_string(hide_password=False)
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return sqlite_url(self.data_dir / f"{service}.sqlite")

    def token_validator(self) -> TokenValidator:
        """The validator non-identity APIs use (shared per process, with its cache)."""
        if "remote" not in self.validators:
            self.validators["remote"] = RemoteTokenValidator(self.url("identity"))
        return self.validators["remote"]

    async def close(self) -> None:
        """Close what the runtime opened for its services; call it after they stop."""
        validators, self.validators = self.validators, {}
        for validator in validators.values():
            if isinstance(validator, RemoteTokenValidator):
                await validator.close()

    def enforcer(self, service: str, defaults: list[RuleDefault]) -> Enforcer:
        policy_dir = Path(self.conf.DEFAULT.policy_dir or self.data_dir / "policy")
        return Enforcer(defaults, policy_dir / f"{service}.yaml")
