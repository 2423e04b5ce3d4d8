"""Availability zones: those of this cloud's volume services, and the configured one."""

from __future__ import annotations

from sqlalchemy import select

from nimbostack.volume.db.models import Service
from nimbostack.volume.objects.services import VOLUME
from nimbostack.volume.state import VolumeState


async def valid_zones(state: VolumeState) -> set[str]:
    async with state.db.reader() as s:
        rows = await s.scalars(select(Service.availability_zone).where(Service.binary == VOLUME))
        found = set(rows.all())
    found.add(str(state.options.storage_availability_zone))
    return found
