"""What a test needs from the host: a tool or server whose absence skips it, or fails it in CI.

On a developer's machine a missing QEMU, noVNC, RabbitMQ or PostgreSQL skips the tests
that need it, with the reason. In CI (``CI`` set to true, as ``.ci/run`` does) the
machine is meant to have everything, so the same absence fails the test: a run there
cannot pass by skipping. Every "not installed" check in the suite goes through here.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

MISSING = "missing on this host"


def in_ci() -> bool:
    """Whether the suite runs in CI, where nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(available: bool, what: str, why: str) -> None:
    """Go on only if ``what`` (a server or tool) is ``available``; ``why`` the test needs it."""
    if not available:
        missing(what, why)


def require_tools(*tools: str, why: str) -> None:
    """Go on only if every command of ``tools`` is on PATH."""
    absent = [tool for tool in tools if shutil.which(tool) is None]
    if absent:
        missing(", ".join(absent), why)


def missing(what: str, why: str) -> NoReturn:
    """Skip the test for a missing ``what``, or fail it in CI."""
    reason = f"{MISSING}: {what} ({why})"
    if in_ci():
        pytest.fail(f"{reason}; CI must provide it", pytrace=False)
    pytest.skip(reason)
