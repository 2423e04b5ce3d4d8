"""Storage quota: how many more bytes a project may store, and the 413 when it may not."""

from __future__ import annotations

from nimbostack.core.errors import RequestEntityTooLarge
from nimbostack.image.objects import images
from nimbostack.image.state import ImageState


async def byte_limit(state: ImageState, project_id: str | None) -> tuple[int, bool]:
    """The most bytes one upload may write, and whether that bound is the quota.

    The bound is the smaller of the image size cap and the owner's remaining quota.
    Concurrent uploads by one project each see the same remainder, so together they
    can overshoot the quota by at most one upload each.
    """
    cap = int(state.conf.image_size_cap)
    quota = int(state.conf.user_storage_quota)
    if quota <= 0:
        return cap, False
    remaining = max(quota - await images.used_bytes(state.db, project_id), 0)
    return (remaining, True) if remaining < cap else (cap, False)


def too_large(limit: int, is_quota: bool) -> RequestEntityTooLarge:
    if is_quota:
        return RequestEntityTooLarge(
            "Denying attempt to upload image because it exceeds the quota: "
            f"only {limit} bytes of the storage quota remain."
        )
    return RequestEntityTooLarge(f"Image exceeds the maximum allowed size of {limit} bytes.")
