"""Runs the image service alone against a running identity, until SIGTERM.

Used by the image tests and bench/image_transfer.py while the image service is not
part of `nimbostack up`. Settings come from NIMBOSTACK_* variables; argv[1] is the
data directory. The process writes <data_dir>/image-ready once it serves.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from nimbostack.core import config
from nimbostack.core.service import Runtime
from nimbostack.identity import options as _identity_options  # noqa: F401  ([identity] port)
from nimbostack.image.service import ImageService


async def main(data_dir: Path) -> None:
    service = ImageService(Runtime(config.load(None), data_dir))
    await service.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    (data_dir / "image-ready").write_text("ready")
    await stop.wait()
    await service.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
