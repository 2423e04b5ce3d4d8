"""Child processes get stdio and the descriptors passed on purpose, nothing else."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

import uvloop

from nimbostack.core.process import run, spawn

# Prints {fd: what it points to} for the child's descriptors (but the listing's own).
_LIST_FDS = (
    "import json, os\n"
    "names = os.listdir('/proc/self/fd')\n"
    "found = {}\n"
    "for n in names:\n"
    "    try: found[n] = os.readlink('/proc/self/fd/' + n)\n"
    "    except OSError: pass\n"
    "print(json.dumps(found))\n"
)


async def _child_fds(pass_fds: tuple[int, ...] = ()) -> dict[int, str]:
    proc = await spawn(
        sys.executable, "-c", _LIST_FDS, pass_fds=pass_fds, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return {int(fd): target for fd, target in json.loads(out).items()}


def _extra(fds: dict[int, str], allowed: tuple[int, ...] = ()) -> set[str]:
    """What the child holds beyond its stdio (uvloop keeps copies of those) and ``allowed``."""
    given = {fds[fd] for fd in (0, 1, 2, *allowed) if fd in fds}
    return {t for t in fds.values() if t not in given and not t.startswith("/proc/")}


def test_an_inheritable_socket_does_not_reach_the_child_under_uvloop() -> None:
    async def main() -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            sock.set_inheritable(True)  # what a library might do
            target = os.readlink(f"/proc/self/fd/{sock.fileno()}")
            seen = await _child_fds()
            assert target not in seen.values()
            assert _extra(seen) == set()

    uvloop.run(main())


def test_a_passed_descriptor_reaches_the_child_and_stays_private_after() -> None:
    async def main() -> None:
        read, write = os.pipe()
        try:
            seen = await _child_fds(pass_fds=(read,))
            assert read in seen and _extra(seen, (read,)) == set()
            assert not os.get_inheritable(read)
            assert read not in await _child_fds()
        finally:
            os.close(read)
            os.close(write)

    uvloop.run(main())


def test_run_feeds_its_input_to_the_child() -> None:
    done = asyncio.run(run(sys.executable, "-c", "import sys; print(sys.stdin.read()[::-1])",
                           timeout=30, input=b"abc"))  # fmt: skip
    assert (done.returncode, done.out) == (0, b"cba\n")


def test_a_passed_descriptor_reaches_the_child_under_the_default_loop() -> None:
    """asyncio's own loop closes every descriptor not named to it (tests run on it)."""

    async def main() -> None:
        read, write = os.pipe()
        try:
            seen = await _child_fds(pass_fds=(read,))
            assert read in seen and _extra(seen, (read,)) == set()
        finally:
            os.close(read)
            os.close(write)

    asyncio.run(main())
