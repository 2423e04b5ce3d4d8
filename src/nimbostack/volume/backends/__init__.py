"""Volume backends: a small interface (base.py), a fake, and real implementations."""

from __future__ import annotations

from nimbostack.volume.backends.base import Backend
from nimbostack.volume.options import BackendOptions


def load(options: BackendOptions, host: str) -> Backend:
    """The backend a [backend_<name>] section describes."""
    if options.driver == "fake":
        from nimbostack.volume.backends.fake import FakeBackend

        return FakeBackend(options, host)
    from nimbostack.volume.backends.file import FileBackend

    return FileBackend(options, host)
