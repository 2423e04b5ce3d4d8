"""The token key repository: Fernet keys on disk, rotated like Keystone's.

Files are named by integer. ``0`` is the staged key (the next primary), the highest
number is the primary that encrypts new tokens, and the others still decrypt tokens
issued before a rotation.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet


class KeyRepository:
    """Reads, creates and rotates the keys in one directory."""

    def __init__(self, path: Path, max_active_keys: int = 3) -> None:
        self.path = path
        self.max_active_keys = max_active_keys

    def _indexes(self) -> list[int]:
        if not self.path.exists():
            return []
        return sorted(int(p.name) for p in self.path.iterdir() if p.name.isdigit())

    def _write(self, index: int, key: bytes) -> None:
        tmp = self.path / f".{index}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        tmp.rename(self.path / str(index))

    def ensure(self) -> None:
        """Create the repository with a staged and a primary key if it is empty."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self._indexes():
            self._write(0, Fernet.generate_key())
            self.rotate()

    def rotate(self) -> None:
        """Promote the staged key to primary, stage a new one, drop the oldest."""
        indexes = self._indexes()
        staged = self.path / "0"
        new_primary = (max(indexes) if indexes else 0) + 1
        staged.rename(self.path / str(new_primary))
        self._write(0, Fernet.generate_key())
        secondaries = [i for i in self._indexes() if i not in (0, new_primary)]
        excess = len(secondaries) + 2 - self.max_active_keys
        for index in secondaries[: max(excess, 0)]:
            (self.path / str(index)).unlink()

    def load(self) -> MultiFernet:
        """Primary first (it encrypts), then every other key (they decrypt)."""
        indexes = self._indexes()
        order = sorted(indexes, reverse=True)
        keys = [Fernet((self.path / str(i)).read_bytes().strip()) for i in order]
        if not keys:
            raise RuntimeError(f"no token keys in {self.path}")
        return MultiFernet(keys)
