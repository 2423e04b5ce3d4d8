"""Builds agent hosts for this process: one real driver, or N simulated fake hosts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nimbostack.clients.identity import Session
from nimbostack.clients.network import NetworkClient
from nimbostack.compute.agent.conductor_api import ConductorApi
from nimbostack.compute.agent.drivers import fake
from nimbostack.compute.agent.drivers.base import Driver
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.agent.images import Access, ImageCache
from nimbostack.compute.agent.runner import AgentRunner
from nimbostack.compute.credentials import Auth
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.compute.service_state import pooled_network_clients
from nimbostack.compute.volume_access import VolumeAccess
from nimbostack.core.config import Config
from nimbostack.core.context import RequestContext


def host_names(base: str, conf: Config) -> list[str]:
    """``base`` itself, or ``<base>-fakeN`` for each simulated host."""
    count = int(conf.compute_agent.fake_hosts)
    if conf.compute_agent.driver != "fake" or count <= 1:
        return [base]
    return [f"{base}-fake{n}" for n in range(1, count + 1)]


def _driver(conf: Config, name: str, instances_path: Path) -> Driver:
    if conf.compute_agent.driver == "qemu":
        from nimbostack.compute.agent.drivers.qemu import QemuDriver, QemuSettings

        return QemuDriver(QemuSettings.from_conf(conf), instances_path)
    size = conf.fake_driver
    return fake.make(
        name,
        vcpus=int(size.vcpus),
        memory_mb=int(size.memory_mb),
        local_gb=int(size.local_gb),
        delay_ms=int(size.delay_ms),
    )


def _qemu_img(conf: Config) -> str:
    """The qemu-img the image cache inspects downloads with (the qemu driver's own)."""
    if conf.compute_agent.driver != "qemu":
        return "qemu-img"
    from nimbostack.compute.agent.drivers.qemu import QemuSettings

    return QemuSettings.from_conf(conf).qemu_img


def image_access(auth: Auth | None) -> object:
    """For a request: the image endpoint, with the user's token (else the service's)."""
    if auth is None:
        return None

    def for_request(ctxt: RequestContext) -> Access:
        async def access() -> tuple[str, dict[str, str]]:
            session: Session = await auth.session()
            token = ctxt.auth_token or session.token
            return session.endpoint("image"), {"X-Auth-Token": token}

        return access

    return for_request


def network_access(auth: Auth | None) -> Callable[[], NetworkClient] | None:
    """The networking service as compute itself (its ports need a service's rights)."""
    if auth is None:
        return None
    make = pooled_network_clients()
    return lambda: make(auth)


def build_agents(
    conf: Config, rpc: ComputeRpc, auth: Auth | None, base_host: str, data_dir: Path
) -> list[AgentRunner]:
    instances_path = Path(conf.compute_agent.instances_path or data_dir / "instances")
    images = ImageCache(
        instances_path / "_base",
        float(conf.compute_agent.image_cache_max_idle),
        qemu_img=_qemu_img(conf),
    )
    access = image_access(auth)
    network = network_access(auth)
    runners = []
    driver_name = str(conf.compute_agent.driver)
    for name in host_names(base_host, conf):
        agent = AgentHost(
            host=name,
            driver=_driver(conf, name, instances_path),
            conductor=ConductorApi(rpc, name, one_message_events=driver_name == "fake"),
            rpc=rpc,
            conf=conf,
            images=images,
            image_access=access,
            network=network,
            volumes=VolumeAccess(auth) if auth is not None else None,
        )
        runners.append(AgentRunner(agent))
    return runners
