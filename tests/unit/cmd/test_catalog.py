"""The catalog `nimbostack up` registers: every service, block storage under two types."""

from __future__ import annotations

from pathlib import Path

from nimbostack.cmd import services as registry
from nimbostack.cmd.cloud import Cloud
from nimbostack.core import config
from nimbostack.core.service import Runtime


def test_block_storage_is_listed_as_block_storage_and_volumev3(tmp_path: Path) -> None:
    registry.import_all_options()
    runtime = Runtime(conf=config.load(None, environ={}), data_dir=tmp_path)
    entries = {entry.type: entry for entry in Cloud(runtime).catalog()}
    assert entries["block-storage"].url == entries["volumev3"].url
    assert entries["block-storage"].url.endswith(":8776/v3")
    assert entries["block-storage"].name == entries["volumev3"].name == "cinderv3"
    assert {"identity", "image", "placement", "compute"} <= set(entries)


def test_volume_roles_can_be_served_apart() -> None:
    names = {spec.name for spec in registry.SERVICES}
    assert {"volume-api", "volume-scheduler", "volume-manager"} <= names
    assert not any(registry.by_name(n).in_up for n in ("volume-api", "volume-manager"))
