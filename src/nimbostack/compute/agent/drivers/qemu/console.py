"""The serial console log: capped in size, read by its last lines.

QEMU appends (``append=on``, O_APPEND) to the log file, so trimming it in place
is safe: QEMU's next write lands at the new end, never past a hole.
"""

from __future__ import annotations

import os
from pathlib import Path


def trim(log: Path, cap: int) -> bool:
    """Keep the newest half of the log once it exceeds cap bytes; True if trimmed."""
    try:
        size = log.stat().st_size
    except FileNotFoundError:
        return False
    if size <= cap:
        return False
    keep = cap // 2
    with log.open("r+b") as handle:
        handle.seek(size - keep)
        tail = handle.read()
        # Start at a line boundary so that no half marker line survives.
        newline = tail.find(b"\n")
        if 0 <= newline < len(tail) - 1:
            tail = tail[newline + 1 :]
        handle.seek(0)
        handle.truncate(0)
        os.write(handle.fileno(), tail)
    return True


def tail_lines(log: Path, length: int | None, cap: int) -> str:
    """The log (bounded by cap), or its last ``length`` lines."""
    try:
        size = log.stat().st_size
    except FileNotFoundError:
        return ""
    with log.open("rb") as handle:
        handle.seek(max(0, size - cap))
        data = handle.read(cap)
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    if length is None:
        return text
    if length <= 0:
        return ""
    lines = text.splitlines(keepends=True)
    return "".join(lines[-length:])
