"""The console proxy as a service of the cloud (nova-novncproxy's place, port 6080)."""

from __future__ import annotations

from pathlib import Path

from nimbostack.compute.console import options as _options  # noqa: F401 (registers options)
from nimbostack.compute.console.origin import OriginPolicy
from nimbostack.compute.console.proxy import build_proxy_app
from nimbostack.compute.console.tokens import load_secret
from nimbostack.core.service import HttpServer, Service


class ConsoleProxyService(Service):
    """Serves noVNC and the token-checked websocket on [console_proxy] port."""

    name = "console_proxy"

    async def start(self) -> None:
        conf = self.runtime.conf.console_proxy
        origins = OriginPolicy.build(self.base_url(), conf.allowed_origins)
        app = build_proxy_app(load_secret(self.runtime.data_dir), Path(conf.novnc_path), origins)
        self._server = HttpServer(app, self.runtime.conf.DEFAULT.bind_host, conf.port, self.name)
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    def base_url(self) -> str:
        """The noVNC page the compute API puts in console URLs."""
        conf = self.runtime.conf.console_proxy
        return str(conf.base_url or self.runtime.url("console_proxy", "/vnc_lite.html"))
