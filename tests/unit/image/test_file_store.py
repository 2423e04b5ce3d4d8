"""The file store: staged writes, limits, atomic commit, reads, deletes."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.image.stores.base import LimitExceeded
from nimbostack.image.stores.file import FileStore


def _names(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_write_commit_read_delete(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    data = [b"a" * 700_000, b"b" * 700_000, b"c"]
    staged = await store.write("img", _chunks(*data), limit=10**7)
    joined = b"".join(data)
    assert staged.size == len(joined)
    assert staged.md5 == hashlib.md5(joined).hexdigest()
    assert staged.sha512 == hashlib.sha512(joined).hexdigest()
    assert not (tmp_path / "img").exists()
    location = await store.commit(staged)
    assert _names(tmp_path) == ["img"]
    assert b"".join([c async for c in store.read(location)]) == joined
    await store.delete(location)
    assert _names(tmp_path) == []


async def test_limit_leaves_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(LimitExceeded):
        await store.write("img", _chunks(b"x" * 10, b"y" * 10), limit=15)
    assert _names(tmp_path) == []


def test_location_outside_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        FileStore(tmp_path).local_path("file:///etc/passwd")
