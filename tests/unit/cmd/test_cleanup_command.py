"""`nimbostack cleanup`: it removes only what it is asked to."""

from __future__ import annotations

import pytest

from nimbostack.cmd.main import build_parser, main


def test_cleanup_parses_its_network_flag() -> None:
    args = build_parser().parse_args(["cleanup", "--network"])
    assert args.network is True


def test_cleanup_without_a_subject_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cleanup"]) == 2
    assert "--network" in capsys.readouterr().err
