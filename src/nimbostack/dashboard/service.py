"""The dashboard as a service of the cloud (Horizon's place, port 8080).

It has no database, policies or API route table of its own: one web app over the
public APIs of the cloud named by ``[dashboard] auth_url`` (this cloud's identity by
default), with sessions kept in memory and swept every minute.
"""

from __future__ import annotations

from nimbostack.core.http import HttpServer
from nimbostack.core.service import Service
from nimbostack.dashboard import options as _options  # noqa: F401 (registers options)
from nimbostack.dashboard.app import build_app
from nimbostack.dashboard.state import DashboardState, Settings, build_state

SWEEP_INTERVAL = 60.0


class DashboardService(Service[DashboardState]):
    """Serves the web console on [dashboard] port."""

    name = "dashboard"

    def settings(self) -> Settings:
        conf = self.runtime.conf.dashboard
        return Settings(
            auth_url=str(conf.auth_url or self.runtime.url("identity", "/v3")),
            region=str(conf.region or self.runtime.conf.DEFAULT.region),
            default_domain=str(conf.default_domain),
            page_size=int(conf.page_size),
            fast_tick=float(conf.fast_tick),
            slow_tick=float(conf.slow_tick),
            secure_cookies=bool(conf.secure_cookies),
        )

    async def build_state(self) -> DashboardState:
        return build_state(self.settings(), float(self.runtime.conf.dashboard.idle_timeout))

    def port_options(self) -> list[str]:
        return ["port"]

    async def serve(self) -> None:
        state = self.state
        self.on_stop("dashboard HTTP pool", state.http.aclose)
        server = HttpServer(build_app(state), self.runtime.listen(self.name), self.name)
        await server.start()
        self.on_stop("dashboard", server.stop)
        self.every("session sweep", SWEEP_INTERVAL, self._sweep)

    async def _sweep(self) -> None:
        self.state.sessions.sweep()
