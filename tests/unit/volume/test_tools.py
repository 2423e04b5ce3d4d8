"""The backends' tool runner: a tool past its deadline is killed and named, not waited on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nimbostack.core import process
from nimbostack.volume.backends import tools
from nimbostack.volume.backends.base import BackendError


async def test_a_tool_past_its_deadline_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = f"echo $$ > {pid_file}; exec sleep 30"
    with pytest.raises(TimeoutError):
        await process.run("sh", "-c", script, timeout=0.5)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left running


async def test_a_hanging_backend_tool_is_a_backend_error() -> None:
    with pytest.raises(BackendError, match=r"sleep 30 took over 0\.5 s"):
        await tools.run("sleep", "30", timeout=0.5)


async def test_a_failing_tool_names_its_last_error_line() -> None:
    with pytest.raises(BackendError, match="sh -c failed: second"):
        await tools.run("sh", "-c", "echo first >&2; echo second >&2; exit 3")


async def test_a_missing_tool_cannot_run() -> None:
    with pytest.raises(BackendError, match="could not run"):
        await tools.run("/nonexistent/tool", "x")
