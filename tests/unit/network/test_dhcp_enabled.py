"""When network-server runs this host's DHCP agent ([network_dhcp] enabled)."""

from __future__ import annotations

import pytest

from nimbostack.compute import options as _compute_options  # noqa: F401
from nimbostack.core.config import Config, load
from nimbostack.network import options as _network_options  # noqa: F401
from nimbostack.network.agents.dhcp import runner


def _conf(enabled: str, driver: str) -> Config:
    conf = load(None, environ={})
    conf.override("network_dhcp", enabled=enabled)
    conf.override("compute_agent", driver=driver)
    return conf


def test_auto_never_runs_it_with_the_fake_driver() -> None:
    assert runner.enabled(_conf("auto", "fake")) is False


def test_auto_runs_it_with_qemu_where_it_can_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner.os, "geteuid", lambda: 0)
    monkeypatch.setattr(runner.shutil, "which", lambda tool: f"/usr/sbin/{tool}")
    assert runner.enabled(_conf("auto", "qemu")) is True
    monkeypatch.setattr(runner.shutil, "which", lambda tool: None)
    assert runner.enabled(_conf("auto", "qemu")) is False


def test_explicit_settings_win() -> None:
    assert runner.enabled(_conf("true", "fake")) is True
    assert runner.enabled(_conf("false", "qemu")) is False
