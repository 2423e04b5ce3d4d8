"""QoS specs: named key sets (front-end ones become QEMU throttling) and their volume types."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.volume.db.models import QosSpecs, VolumeType
from nimbostack.volume.objects import keyvalues

CONSUMERS = ("front-end", "back-end", "both")


def not_found(qos_id: str) -> NotFound:
    return NotFound(f"No such QoS spec {qos_id}.")


async def get(s: AsyncSession, qos_id: str) -> QosSpecs:
    found = await s.get(QosSpecs, qos_id)
    if found is None:
        raise not_found(qos_id)
    return found


async def create(s: AsyncSession, name: str, consumer: str, specs: dict[str, str]) -> QosSpecs:
    if await s.scalar(select(QosSpecs.id).where(QosSpecs.name == name)):
        raise Conflict(f"QoS Specs {name} already exists.")
    found = QosSpecs(id=str(uuid.uuid4()), name=name, consumer=consumer, created_at=time.time())
    s.add(found)
    await s.flush()
    await keyvalues.replace(s, keyvalues.QOS_VALUES, found.id, specs)
    return found


async def associated_types(s: AsyncSession, qos_id: str) -> list[VolumeType]:
    rows = await s.scalars(select(VolumeType).where(VolumeType.qos_specs_id == qos_id))
    return list(rows.all())


async def delete(s: AsyncSession, qos: QosSpecs, force: bool) -> None:
    if await associated_types(s, qos.id):
        if not force:
            raise BadRequest(f"QoS Specs {qos.id} is still associated with entities.")
        await disassociate_all(s, qos.id)
    await s.delete(qos)


async def associate(s: AsyncSession, qos_id: str, vtype: VolumeType) -> None:
    if vtype.qos_specs_id and vtype.qos_specs_id != qos_id:
        raise BadRequest(
            f"Type {vtype.id} is already associated with another qos specs: {vtype.qos_specs_id}"
        )
    vtype.qos_specs_id = qos_id


async def disassociate_all(s: AsyncSession, qos_id: str) -> None:
    await s.execute(
        update(VolumeType)
        .where(VolumeType.qos_specs_id == qos_id)
        .values(qos_specs_id=None)
        .execution_options(synchronize_session=False)
    )


async def front_end_specs(s: AsyncSession, type_id: str) -> dict[str, str] | None:
    """The QoS keys a host should enforce for volumes of this type (None: none)."""
    vtype = await s.get(VolumeType, type_id)
    if vtype is None or not vtype.qos_specs_id:
        return None
    qos = await s.get(QosSpecs, vtype.qos_specs_id)
    if qos is None or qos.consumer not in ("front-end", "both"):
        return None
    return await keyvalues.read(s, keyvalues.QOS_VALUES, qos.id)
