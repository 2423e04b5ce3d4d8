"""The console proxy as a service of the cloud (nova-novncproxy's place, port 6080)."""

from __future__ import annotations

from pathlib import Path

from nimbostack.compute.console import options as _options  # noqa: F401 (registers options)
from nimbostack.compute.console.origin import OriginPolicy
from nimbostack.compute.console.proxy import build_proxy_app
from nimbostack.compute.console.tokens import load_secret
from nimbostack.core.http import HttpServer
from nimbostack.core.service import Service


class ConsoleProxyService(Service[None]):
    """Serves noVNC and the token-checked websocket on [console_proxy] port.

    It has no database, policies or route table: its one app is a websocket bridge
    and noVNC's static files.
    """

    name = "console_proxy"

    async def build_state(self) -> None:
        return None

    def port_options(self) -> list[str]:
        return ["port"]

    async def serve(self) -> None:
        conf = self.runtime.conf.console_proxy
        origins = OriginPolicy.build(self.base_url(), conf.allowed_origins)
        app = build_proxy_app(load_secret(self.runtime.data_dir), Path(conf.novnc_path), origins)
        server = HttpServer(app, self.runtime.listen(self.name), self.name)
        await server.start()
        self.on_stop("console proxy", server.stop)

    def base_url(self) -> str:
        """The noVNC page the compute API puts in console URLs."""
        conf = self.runtime.conf.console_proxy
        return str(conf.base_url or self.runtime.url("console_proxy", "/vnc_lite.html"))
