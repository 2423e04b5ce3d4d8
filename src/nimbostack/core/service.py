"""What every service process shares: the runtime (config, data dir, URLs) and HTTP serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import uvicorn
from sqlalchemy.engine import make_url

from nimbostack.core import options as _options  # noqa: F401  (registers shared options)
from nimbostack.core.auth.policy import Enforcer, RuleDefault
from nimbostack.core.auth.tokens import RemoteTokenValidator, TokenValidator
from nimbostack.core.config import Config
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.errors import ConfigError

LOG = logging.getLogger(__name__)


def default_data_dir() -> Path:
    env = os.environ.get("NIMBOSTACK_DATA_DIR")
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "nimbostack"


@dataclass
class Runtime:
    """Shared facts for the services of one process: config, paths, addresses."""

    conf: Config
    data_dir: Path
    validators: dict[str, TokenValidator] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return str(self.conf.DEFAULT.host or socket.gethostname())

    def port(self, service: str) -> int:
        return int(self.conf.section(service).port)

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


class Service:
    """A service of the cloud (identity, image, ...) run inside a process."""

    name: ClassVar[str]

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    def health(self) -> dict[str, Any]:
        return {"service": self.name, "status": "up"}


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process that embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    """Serves one ASGI app on host:port inside the running event loop."""

    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=75,
            h11_max_incomplete_event_size=64 * 1024,
        )
        self.server = _QuietServer(config)
        self.name = name
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        config = self.server.config
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((config.host, config.port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"{self.name}: cannot listen on {config.host}:{config.port}: {exc.strerror}"
            ) from None
        sock.set_inheritable(True)
        serve = self.server.serve(sockets=[sock])
        self._task = asyncio.create_task(serve, name=f"http-{self.name}")
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"{self.name}: HTTP server stopped during start-up")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.server.should_exit = True
        await self._task
        self._task = None
