"""The metadata agent as its own process (`serve network-metadata-agent`), and when `up` runs it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from nimbostack.cmd import services as registry
from nimbostack.core import config
from nimbostack.core.metadata import SECRET_FILE
from nimbostack.core.service import Runtime
from nimbostack.network.service import wants_metadata_agent


def _runtime(tmp_path: Path, **env: str) -> Runtime:
    registry.import_all_options()
    env.setdefault("NIMBOSTACK_DEFAULT__TRANSPORT_URL", f"memory://{tmp_path.name}")
    return Runtime(conf=config.load(None, environ=env), data_dir=tmp_path)


# Start-up is not a request: `up` arms its loop watch only once started, while here the
# start runs inside the watched call (one step of it measured over a second of CPU).
@pytest.mark.loop_watch_ms(0)
async def test_the_lone_agent_serves_its_socket_until_stopped(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("made-by-up\n")
    runtime = _runtime(tmp_path)
    service = registry.by_name("network-metadata-agent").load(runtime)
    await service.start()
    socket = tmp_path / "metadata" / "metadata_proxy"
    try:
        assert socket.is_socket() and socket.stat().st_mode & 0o777 == 0o600
        assert runtime.conf.metadata.shared_secret == "made-by-up"
        transport = httpx.AsyncHTTPTransport(uds=str(socket))
        async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
            resp = await client.get("/openstack/latest/meta_data.json")
        assert resp.status_code == 400  # not forwarded by a namespace proxy
    finally:
        await service.stop()
    assert not socket.exists()


def test_up_runs_the_agent_with_real_devices_or_when_asked(tmp_path: Path) -> None:
    fake = _runtime(tmp_path, NIMBOSTACK_COMPUTE_AGENT__DRIVER="fake")
    assert not wants_metadata_agent(fake.conf)
    qemu = _runtime(tmp_path, NIMBOSTACK_COMPUTE_AGENT__DRIVER="qemu")
    assert wants_metadata_agent(qemu.conf)
    asked = _runtime(
        tmp_path,
        NIMBOSTACK_COMPUTE_AGENT__DRIVER="fake",
        NIMBOSTACK_NETWORK_METADATA__ENABLED="true",
    )
    assert wants_metadata_agent(asked.conf)
