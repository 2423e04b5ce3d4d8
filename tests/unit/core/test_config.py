"""Configuration: defaults, INI values, environment overrides, errors naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbostack.core import config
from nimbostack.core.config import Opt
from nimbostack.core.errors import ConfigError

config.register(
    "unit_demo",
    "Options used only by these tests.",
    [
        Opt("port", 1234, "A port.", type="int", minimum=1),
        Opt("mode", "fast", "A mode.", choices=("fast", "slow")),
        Opt("flag", False, "A flag.", type="bool"),
        Opt("names", ["a"], "A list.", type="list"),
    ],
)


def _ini(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nimbostack.ini"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    conf = config.load(None, environ={})
    assert conf.unit_demo.port == 1234
    assert conf.unit_demo.mode == "fast"
    assert conf.unit_demo.names == ["a"]


def test_file_values_are_typed(tmp_path: Path) -> None:
    path = _ini(tmp_path, "[unit_demo]\nport = 99\nflag = yes\nnames = x, y\n")
    conf = config.load(path, environ={})
    assert conf.unit_demo.port == 99
    assert conf.unit_demo.flag is True
    assert conf.unit_demo.names == ["x", "y"]


def test_environment_beats_the_file(tmp_path: Path) -> None:
    path = _ini(tmp_path, "[unit_demo]\nport = 99\n")
    conf = config.load(path, environ={"NIMBOSTACK_UNIT_DEMO__PORT": "7"})
    assert conf.unit_demo.port == 7


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[unit_demo]\nport = many\n", "[unit_demo] port"),
        ("[unit_demo]\nport = 0\n", "[unit_demo] port"),
        ("[unit_demo]\nmode = medium\n", "[unit_demo] mode"),
        ("[unit_demo]\nflag = perhaps\n", "[unit_demo] flag"),
        ("[unit_demo]\ncolour = red\n", "unknown option [unit_demo] colour"),
        ("[no_such_section]\nx = 1\n", "unknown section [no_such_section]"),
    ],
)
def test_bad_values_name_the_option(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load(_ini(tmp_path, text), environ={})
    assert needle in str(caught.value)


def test_bad_environment_value_names_the_option() -> None:
    with pytest.raises(ConfigError, match=r"\[unit_demo\] port"):
        config.load(None, environ={"NIMBOSTACK_UNIT_DEMO__PORT": "x"})


def test_sample_lists_every_option_with_its_env_name() -> None:
    text = config.sample()
    assert "[unit_demo]" in text
    assert "#port = 1234" in text
    assert "NIMBOSTACK_UNIT_DEMO__MODE" in text
    assert "one of: fast, slow" in text
