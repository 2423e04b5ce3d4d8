"""Families of sections whose names an operator chooses (``[unit_pool_<name>]``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbostack.core import config
from nimbostack.core.config import Opt
from nimbostack.core.errors import ConfigError

config.register_family(
    "unit_pool_",
    "A family of sections used only by these tests.",
    [
        Opt("size", 10, "A size.", type="int", minimum=1),
        Opt("kind", "a", "A kind.", choices=("a", "b")),
    ],
)


def test_every_named_section_gets_the_family_options(tmp_path: Path) -> None:
    path = tmp_path / "n.ini"
    path.write_text("[unit_pool_fast]\nsize = 3\n[unit_pool_slow]\nkind = b\n")
    conf = config.load(path, environ={})
    assert conf.section("unit_pool_fast").as_dict() == {"size": 3, "kind": "a"}
    assert conf.section("unit_pool_slow").as_dict() == {"size": 10, "kind": "b"}


def test_a_section_named_only_in_the_environment(tmp_path: Path) -> None:
    conf = config.load(None, environ={"NIMBOSTACK_UNIT_POOL_EXTRA__SIZE": "7"})
    assert conf.section("unit_pool_extra").size == 7


def test_bad_values_and_unknown_options_name_the_section(tmp_path: Path) -> None:
    path = tmp_path / "n.ini"
    path.write_text("[unit_pool_x]\nkind = c\n")
    with pytest.raises(ConfigError, match=r"\[unit_pool_x\] kind"):
        config.load(path, environ={})
    path.write_text("[unit_pool_x]\ncolour = red\n")
    with pytest.raises(ConfigError, match=r"unknown option \[unit_pool_x\] colour"):
        config.load(path, environ={})
    path.write_text("[unit_pool_]\nsize = 1\n")
    with pytest.raises(ConfigError, match=r"unknown section \[unit_pool_\]"):
        config.load(path, environ={})


def test_the_sample_lists_the_family() -> None:
    assert "[unit_pool_<name>]" in config.sample()
