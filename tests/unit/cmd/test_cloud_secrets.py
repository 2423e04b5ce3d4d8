"""`up` generates the metadata secret once; every process of the data dir reads the same."""

from __future__ import annotations

from pathlib import Path

from nimbostack.cmd import services as registry
from nimbostack.cmd.cloud import Cloud
from nimbostack.core import config
from nimbostack.core.metadata import SECRET_FILE, shared_secret
from nimbostack.core.service import Runtime


def _runtime(tmp_path: Path, **env: str) -> Runtime:
    registry.import_all_options()
    return Runtime(conf=config.load(None, environ=env), data_dir=tmp_path)


def test_up_generates_the_metadata_secret_that_a_lone_process_reads(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    Cloud(runtime)._generated_secrets()
    made = runtime.conf.metadata.shared_secret
    assert len(made) >= 20
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    apart = _runtime(tmp_path)  # `serve network-metadata-agent` on the same data dir
    assert shared_secret(apart.conf, tmp_path) == made
    again = _runtime(tmp_path)
    Cloud(again)._generated_secrets()
    assert again.conf.metadata.shared_secret == made


def test_a_configured_secret_is_not_replaced(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, NIMBOSTACK_METADATA__SHARED_SECRET="mine")
    Cloud(runtime)._generated_secrets()
    assert runtime.conf.metadata.shared_secret == "mine"
    assert not (tmp_path / SECRET_FILE).exists()
