"""Registers the nimbo-guest image (kernel, ramdisk and disk) in a running cloud."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from nimbostack.clients.identity import password_session
from nimbostack.clients.image import ImageClient
from nimbostack.core.process import spawn
from nimbostack.core.service import Runtime
from nimbostack.guest_image.builder import (
    GUEST_IMAGE_NAME,
    GuestImage,
    build_guest_image,
    default_cache_dir,
)

LOG = logging.getLogger("nimbostack.guest")
PUBLIC: dict[str, Any] = {"visibility": "public", "protected": False}


async def _upload(images: ImageClient, path: Path, **fields: Any) -> str:
    created = await images.create(**PUBLIC, **fields)
    await images.upload(created["id"], path)
    return str(created["id"])


async def _register(images: ImageClient, guest: GuestImage) -> str:
    kernel = await _upload(
        images,
        guest.kernel,
        name=f"{GUEST_IMAGE_NAME}-kernel",
        disk_format="aki",
        container_format="aki",
    )
    ramdisk = await _upload(
        images,
        guest.ramdisk,
        name=f"{GUEST_IMAGE_NAME}-ramdisk",
        disk_format="ari",
        container_format="ari",
    )
    return await _upload(
        images,
        guest.disk,
        name=GUEST_IMAGE_NAME,
        disk_format="qcow2",
        container_format="bare",
        kernel_id=kernel,
        ramdisk_id=ramdisk,
        os_distro="nimbo-guest",
        os_version=guest.kernel_version,
        hw_qemu_guest_agent="no",
        description=guest.login,
    )


async def _build_in_child(cache_dir: Path) -> None:
    """Build into the cache in a child process, which a stopping cloud kills at once.

    A first build downloads packages for minutes; in a thread of this process it would
    hold the process's exit until it finished. The child leads its own process group,
    so killing it also stops the apt-get it runs.
    """
    proc = await spawn(
        sys.executable,
        "-m",
        "nimbostack.guest_image.builder",
        str(cache_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _, err = await proc.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise
    if proc.returncode != 0:
        reason = err.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"guest image build failed: {reason[-1] if reason else proc.returncode}")


async def ensure_guest_image(runtime: Runtime, admin_password: str) -> str | None:
    """Build (cached) and register the guest image unless an active one exists."""
    cache = runtime.conf.image.guest_cache_dir
    cache_dir = Path(cache) if cache else default_cache_dir()
    await _build_in_child(cache_dir)
    guest = await asyncio.to_thread(build_guest_image, cache_dir)  # now a cache hit
    session = await password_session(
        runtime.url("identity", "/v3"), "admin", admin_password, "admin"
    )
    images = ImageClient(session)
    try:
        existing = [i for i in await images.find(GUEST_IMAGE_NAME) if i["status"] == "active"]
        if existing:
            return str(existing[0]["id"])
        image_id = await _register(images, guest)
        LOG.info("registered guest image %s (%s)", GUEST_IMAGE_NAME, image_id)
        return image_id
    finally:
        await images.close()
