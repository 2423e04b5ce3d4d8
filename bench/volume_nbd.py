"""Benchmark: a volume file read and written through its NBD export (TLS-PSK) on loopback.

Starts exports the way the file backend does (``NbdExports``: one qemu-storage-daemon
per attachment, a listening socket handed over, a fresh pre-shared key), and measures:

- export start, from ``open`` to the daemon serving (n runs), and its stop;
- reading and writing 256 MiB with ``qemu-io`` (one request, which the block layer
  splits: NBD requests of up to 32 MiB) through the export, against the file opened
  directly (no NBD, no TLS), both without the client's host cache.

Prints a markdown table. Usage: python -m bench.volume_nbd [runs]
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nimbostack.volume.backends.nbd import NbdExport, NbdExports  # noqa: E402

MiB = 1024**2
SIZE = 256 * MiB


def _qemu_io(args: list[str], command: str) -> float:
    start = time.perf_counter()
    subprocess.run(["qemu-io", "-t", "none", *args, "-c", command], check=True, capture_output=True)
    return time.perf_counter() - start


def _nbd_args(export: NbdExport, keys: Path) -> list[str]:
    keys.mkdir(mode=0o700, exist_ok=True)
    (keys / "keys.psk").write_text(f"{export.name}:{export.key}\n")
    return [
        "--object",
        f"tls-creds-psk,id=tls0,endpoint=client,dir={keys},username={export.name}",
        "--image-opts",
        f"driver=nbd,server.type=inet,server.host=127.0.0.1,server.port={export.port},"
        f"export={export.name},tls-creds=tls0",
    ]


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="nimbo-nbd-bench-") as tmp:
        root = Path(tmp)
        volume = root / "volume"
        create = ["qemu-img", "create", "-q", "-f", "raw", str(volume), "1G"]
        await asyncio.to_thread(subprocess.run, create, check=True)
        exports = NbdExports(root / "_exports", "127.0.0.1")
        starts, stops = [], []
        for _ in range(runs):
            began = time.perf_counter()
            opened = await exports.open(str(uuid.uuid4()), "v", volume, "raw", read_only=False)
            starts.append(time.perf_counter() - began)
            began = time.perf_counter()
            await exports.close(opened.attachment_id)
            stops.append(time.perf_counter() - began)
        export = await exports.open(str(uuid.uuid4()), "v", volume, "raw", read_only=False)
        try:
            nbd = _nbd_args(export, root / "keys")
            direct = ["-f", "raw", str(volume)]
            write, read = f"write -P 0x5a 0 {SIZE}", f"read -P 0x5a 0 {SIZE}"
            figures = {
                "write, file directly": await asyncio.to_thread(_qemu_io, direct, write),
                "write, NBD + TLS": await asyncio.to_thread(_qemu_io, nbd, write),
                "read, file directly": await asyncio.to_thread(_qemu_io, direct, read),
                "read, NBD + TLS": await asyncio.to_thread(_qemu_io, nbd, read),
            }
        finally:
            await exports.close(export.attachment_id)

    print("| measurement | result |")
    print("|---|---|")
    starts.sort()
    print(
        f"| export start (daemon serving) | p50 {statistics.median(starts) * 1000:.0f} ms, "
        f"max {starts[-1] * 1000:.0f} ms (n={runs}) |"
    )
    print(f"| export stop | p50 {statistics.median(stops) * 1000:.0f} ms (n={runs}) |")
    for name, seconds in figures.items():
        print(f"| 256 MiB {name} | {SIZE / MiB / seconds:.0f} MiB/s |")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
