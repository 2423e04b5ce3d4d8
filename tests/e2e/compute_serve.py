"""Runs compute alone (fake driver) against a running cloud's identity, image and placement.

Used by tests/e2e/test_cli_compute.py while compute is not part of `nimbostack up`.
argv[1] is the cloud's data directory (for the service credentials); compute's own
database goes to argv[2]. Writes <argv[2]>/compute-ready once it serves.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from nimbostack.compute.objects.flavors import ensure_default_flavors
from nimbostack.compute.service import ComputeService
from nimbostack.core import config
from nimbostack.core.service import Runtime
from nimbostack.identity import options as _identity  # noqa: F401
from nimbostack.image import options as _image  # noqa: F401
from nimbostack.placement import options as _placement  # noqa: F401


async def main(cloud_dir: Path, own_dir: Path) -> None:
    conf = config.load(None)
    conf.override("compute", connection=f"sqlite:///{own_dir / 'compute.sqlite'}")
    service = ComputeService(Runtime(conf, cloud_dir))
    await service.start()
    assert service.state is not None
    await ensure_default_flavors(service.state.db)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    (own_dir / "compute-ready").write_text("ready")
    await stop.wait()
    await service.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
