"""A manager's start closes the exports no attachment needs (the fake backend keeps them)."""

from __future__ import annotations

import uuid
from pathlib import Path

from nimbostack.volume.manager import reconcile
from tests.functional.volume.conftest import VolumeCloud, base_env
from tests.functional.volume.test_attachments import CONNECTOR


async def test_exports_without_an_attachment_are_closed(tmp_path: Path) -> None:
    """A legacy export stays while its volume is attached; the others go."""
    cloud = VolumeCloud(tmp_path, base_env(tmp_path, NIMBOSTACK_VOLUME__ENABLED_BACKENDS="fake"))
    await cloud.start()
    try:
        vol = await cloud.available_volume()
        body = {
            "attachment": {
                "volume_uuid": vol["id"],
                "instance_uuid": str(uuid.uuid4()),
                "connector": CONNECTOR,
            }
        }
        att = (await cloud.ok("POST", "/v3/attachments", body))["attachment"]
        host = cloud.service.managers[0].host  # type: ignore[union-attr]
        backend = host.backend
        assert backend.open_exports == {att["id"]}  # type: ignore[attr-defined]
        backend.open_exports |= {"stale-export", f"legacy-{vol['id']}-testhost"}  # type: ignore[attr-defined]
        await reconcile.reconcile(host, cloud.state.extra["backup_store"])
        assert backend.open_exports == {att["id"], f"legacy-{vol['id']}-testhost"}  # type: ignore[attr-defined]
        await cloud.ok("DELETE", f"/v3/attachments/{att['id']}", service_token="service")
        await reconcile.reconcile(host, cloud.state.extra["backup_store"])
        assert backend.open_exports == set()  # type: ignore[attr-defined]
    finally:
        await cloud.stop()
