"""Configuration: typed options in INI sections, with defaults, env overrides and a sample.

Every option is declared once with its type, default and help text. Values come from,
in order of precedence: the environment (``NIMBOSTACK_<SECTION>__<OPTION>``), the INI
file, then the declared default. A bad value fails at start-up with an error that names
the option.
"""

from __future__ import annotations

import configparser
import os
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimbostack.core.errors import ConfigError

Parser = Callable[[str], Any]


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected a boolean, got {raw!r}")


def _parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


_PARSERS: dict[str, Parser] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": _parse_bool,
    "list": _parse_list,
}


@dataclass(frozen=True)
class Opt:
    """One declared option."""

    name: str
    default: Any
    help: str
    type: str = "str"
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    secret: bool = False

    def parse(self, section: str, raw: str) -> Any:
        try:
            value = _PARSERS[self.type](raw)
        except ValueError as exc:
            raise ConfigError(f"[{section}] {self.name}: {exc}") from None
        return self.check(section, value)

    def check(self, section: str, value: Any) -> Any:
        if self.choices and value not in self.choices:
            raise ConfigError(
                f"[{section}] {self.name}: {value!r} is not one of {', '.join(self.choices)}"
            )
        if self.minimum is not None and value is not None and value < self.minimum:
            raise ConfigError(f"[{section}] {self.name}: {value!r} is below {self.minimum}")
        return value


def port_opt(name: str, default: int, what: str) -> Opt:
    """A listening port option; 0 binds any free port (the bound one is then used)."""
    return Opt(name, default, f"Port of {what} (0: any free port).", type="int", minimum=0)


@dataclass
class OptGroup:
    """A named INI section of options."""

    name: str
    help: str
    opts: dict[str, Opt] = field(default_factory=dict)


_registry: dict[str, OptGroup] = {}
# Sections whose names an operator chooses (``[backend_<name>]``), by name prefix.
_families: dict[str, OptGroup] = {}


def register(section: str, help: str, opts: Iterable[Opt]) -> None:
    """Declare options for a section. Services call this at import time."""
    group = _registry.setdefault(section, OptGroup(section, help))
    for opt in opts:
        group.opts[opt.name] = opt


def register_family(prefix: str, help: str, opts: Iterable[Opt]) -> None:
    """Declare the options of every section named ``<prefix><name>`` (names are free)."""
    group = _families.setdefault(prefix, OptGroup(f"{prefix}<name>", help))
    for opt in opts:
        group.opts[opt.name] = opt


def _group_of(section: str) -> OptGroup | None:
    group = _registry.get(section)
    if group is not None:
        return group
    for prefix, family in _families.items():
        if section.startswith(prefix) and len(section) > len(prefix):
            return family
    return None


def _family_sections(parser: configparser.ConfigParser, env: Mapping[str, str]) -> set[str]:
    """The sections of a family named in the INI file or in the environment."""
    found = {s for s in parser.sections() if s not in _registry and _group_of(s)}
    for key in env:
        section, sep, _option = key.removeprefix("NIMBOSTACK_").partition("__")
        if key.startswith("NIMBOSTACK_") and sep and _group_of(section.lower()):
            found.add(section.lower())
    return found - set(_registry)


def env_name(section: str, option: str) -> str:
    return f"NIMBOSTACK_{section.upper()}__{option.upper()}"


class Section:
    """Read-only attribute access to one section's resolved values."""

    def __init__(self, name: str, values: dict[str, Any]) -> None:
        self._name = name
        self._values = values

    def __getattr__(self, item: str) -> Any:
        try:
            return self._values[item]
        except KeyError:
            raise AttributeError(f"no option [{self._name}] {item}") from None

    def get(self, item: str, default: Any = None) -> Any:
        return self._values.get(item, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


class Config:
    """Resolved configuration: ``conf.section.option``."""

    def __init__(self, values: dict[str, dict[str, Any]], path: Path | None) -> None:
        self._values = values
        self.path = path

    def __getattr__(self, section: str) -> Section:
        if section.startswith("_"):
            raise AttributeError(section)
        return self.section(section)

    def section(self, name: str) -> Section:
        return Section(name, self._values.get(name, {}))

    def override(self, section: str, **values: Any) -> None:
        """Set values programmatically (tests, command-line flags)."""
        group = _group_of(section)
        target = self._values.setdefault(section, {})
        for key, value in values.items():
            if group and key in group.opts:
                value = group.opts[key].check(section, value)
            target[key] = value


def load(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Resolve every registered option from defaults, the INI file and the environment."""
    env = os.environ if environ is None else environ
    parser = configparser.ConfigParser(interpolation=None)
    if path is not None:
        if not path.exists():
            raise ConfigError(f"configuration file {path} does not exist")
        try:
            parser.read(path)
        except configparser.Error as exc:
            raise ConfigError(f"{path}: {exc}") from None
    values: dict[str, dict[str, Any]] = {}
    groups = dict(_registry)
    for section in _family_sections(parser, env):
        family = _group_of(section)
        if family is not None:
            groups[section] = family
    for section, group in groups.items():
        resolved: dict[str, Any] = {}
        for name, opt in group.opts.items():
            raw = env.get(env_name(section, name))
            if raw is None and section == "DEFAULT" and name in parser.defaults():
                raw = parser.defaults()[name]
            elif raw is None and parser.has_section(section) and parser.has_option(section, name):
                raw = parser.get(section, name, raw=True)
            resolved[name] = opt.default if raw is None else opt.parse(section, raw)
        values[section] = resolved
    _reject_unknown(parser)
    return Config(values, path)


def _reject_unknown(parser: configparser.ConfigParser) -> None:
    defaults = set(parser.defaults())
    for section in parser.sections():
        group = _group_of(section)
        if group is None:
            raise ConfigError(f"unknown section [{section}]")
        for option in parser.options(section):
            if option not in group.opts and option not in defaults:
                raise ConfigError(f"unknown option [{section}] {option}")


def sample() -> str:
    """A commented INI file listing every option with its default and help."""
    lines: list[str] = []
    groups = {**_registry, **{g.name: g for g in _families.values()}}
    for section in sorted(groups, key=lambda s: (s != "DEFAULT", s)):
        group = groups[section]
        lines.append(f"[{section}]")
        lines.extend(f"# {line}" for line in textwrap.wrap(group.help, 78))
        lines.append("")
        for opt in group.opts.values():
            lines.extend(f"# {line}" for line in textwrap.wrap(opt.help, 78))
            meta = f"type: {opt.type}"
            if opt.choices:
                meta += f", one of: {', '.join(opt.choices)}"
            lines.append(f"# ({meta}; env: {env_name(section, opt.name)})")
            default = opt.default
            if isinstance(default, list):
                default = ",".join(str(d) for d in default)
            shown = (
                ""
                if default is None
                else str(default).lower()
                if isinstance(default, bool)
                else str(default)
            )
            lines.append(f"#{opt.name} = {shown}")
            lines.append("")
    return "\n".join(lines)
