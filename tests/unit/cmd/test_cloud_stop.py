"""Stopping the cloud releases what its runtime opened for the services."""

from __future__ import annotations

from pathlib import Path

from nimbostack.cmd import services as registry
from nimbostack.cmd.cloud import Cloud
from nimbostack.core import config
from nimbostack.core.auth.tokens import RemoteTokenValidator
from nimbostack.core.service import Runtime


def _runtime(tmp_path: Path) -> Runtime:
    registry.import_all_options()
    return Runtime(conf=config.load(None, environ={}), data_dir=tmp_path)


async def test_stopping_the_cloud_closes_the_token_validator(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    cloud = Cloud(runtime)
    validator = runtime.token_validator()
    assert isinstance(validator, RemoteTokenValidator)
    assert not validator.closed
    await cloud.stop()
    assert validator.closed


async def test_closing_the_runtime_twice_is_harmless(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    validator = runtime.token_validator()
    assert isinstance(validator, RemoteTokenValidator)
    await runtime.close()
    await runtime.close()
    assert validator.closed
    assert runtime.token_validator() is not validator  # a new one for a restart
