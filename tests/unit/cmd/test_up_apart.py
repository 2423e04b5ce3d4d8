"""`nimbostack up --apart SERVICE` leaves a service to its own process but keeps it listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbostack.cmd import services as registry
from nimbostack.cmd.cloud import Cloud
from nimbostack.cmd.main import build_parser
from nimbostack.core import config
from nimbostack.core.service import Runtime


def _runtime(tmp_path: Path) -> Runtime:
    registry.import_all_options()
    return Runtime(conf=config.load(None), data_dir=tmp_path)


def test_a_service_apart_stays_in_the_catalog(tmp_path: Path) -> None:
    cloud = Cloud(_runtime(tmp_path), apart={"placement"})
    assert "placement" in {entry.type for entry in cloud.catalog()}
    assert cloud.apart == {"placement"}


@pytest.mark.parametrize("name", ["identity", "compute-agent", "nova"])
def test_identity_and_unknown_names_cannot_be_apart(tmp_path: Path, name: str) -> None:
    with pytest.raises(KeyError, match=f"--apart {name}"):
        Cloud(_runtime(tmp_path), apart={name})


def test_the_flag_repeats() -> None:
    args = build_parser().parse_args(["up", "--apart", "placement", "--apart", "image"])
    assert args.apart == ["placement", "image"]
