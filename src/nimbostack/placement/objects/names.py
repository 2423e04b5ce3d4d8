"""Resource class and trait names: the standard sets, CUSTOM_ rules and name→id lookups."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.db import Database
from nimbostack.core.errors import BadRequest
from nimbostack.placement.db.models import ResourceClass, Trait

CUSTOM_RE = re.compile(r"^CUSTOM_[A-Z0-9_]+$")
NAME_RE = re.compile(r"^[A-Z0-9_]+$")

STANDARD_CLASSES = (
    "VCPU",
    "MEMORY_MB",
    "DISK_GB",
    "PCI_DEVICE",
    "SRIOV_NET_VF",
    "NUMA_SOCKET",
    "NUMA_CORE",
    "NUMA_THREAD",
    "NUMA_MEMORY_MB",
    "IPV4_ADDRESS",
    "VGPU",
    "VGPU_DISPLAY_HEAD",
    "NET_BW_EGR_KILOBIT_PER_SEC",
    "NET_BW_IGR_KILOBIT_PER_SEC",
    "PCPU",
    "MEM_ENCRYPTION_CONTEXT",
    "FPGA",
    "PGPU",
    "NET_PACKET_RATE_KILOPACKET_PER_SEC",
    "NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC",
    "NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC",
)

_CPU_FLAGS = [
    "AVX",
    "AVX2",
    "AVX512F",
    "AVX512CD",
    "AVX512BW",
    "AVX512DQ",
    "AVX512VL",
    "FMA3",
    "SSE",
    "SSE2",
    "SSE3",
    "SSSE3",
    "SSE41",
    "SSE42",
    "SSE4A",
    "MMX",
    "AES",
    "SHA",
    "VMX",
    "SVM",
    "F16C",
    "BMI",
    "BMI2",
    "ABM",
    "CLMUL",
    "MPX",
    "PDPE1GB",
    "RDRAND",
    "TSX",
]
_STANDARD_TRAIT_TAILS = [
    "COMPUTE_NODE",
    "COMPUTE_STATUS_DISABLED",
    "COMPUTE_DEVICE_TAGGING",
    "COMPUTE_TRUSTED_CERTS",
    "COMPUTE_VOLUME_ATTACH_WITH_TAG",
    "COMPUTE_VOLUME_EXTEND",
    "COMPUTE_VOLUME_MULTI_ATTACH",
    "COMPUTE_NET_ATTACH_INTERFACE",
    "COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG",
    "COMPUTE_RESCUE_BFV",
    "COMPUTE_IMAGE_TYPE_QCOW2",
    "COMPUTE_IMAGE_TYPE_RAW",
    "COMPUTE_IMAGE_TYPE_ISO",
    "COMPUTE_IMAGE_TYPE_AMI",
    "COMPUTE_IMAGE_TYPE_ARI",
    "COMPUTE_IMAGE_TYPE_AKI",
    "COMPUTE_IMAGE_TYPE_VDI",
    "COMPUTE_IMAGE_TYPE_VHD",
    "COMPUTE_IMAGE_TYPE_VMDK",
    "COMPUTE_IMAGE_TYPE_PLOOP",
    "COMPUTE_ACCELERATORS",
    "COMPUTE_SOCKET_PCI_NUMA_AFFINITY",
    "COMPUTE_SAME_HOST_COLD_MIGRATE",
    "COMPUTE_ARCH_X86_64",
    "COMPUTE_ARCH_AARCH64",
    "COMPUTE_ARCH_PPC64LE",
    "COMPUTE_ARCH_S390X",
    "COMPUTE_FIRMWARE_UEFI",
    "COMPUTE_SECURITY_TPM_1_2",
    "COMPUTE_SECURITY_TPM_2_0",
    "COMPUTE_SECURITY_UEFI_SECURE_BOOT",
    "COMPUTE_EPHEMERAL_ENCRYPTION",
    "COMPUTE_NET_VIF_MODEL_VIRTIO",
    "COMPUTE_NET_VIF_MODEL_E1000",
    "COMPUTE_NET_VIF_MODEL_RTL8139",
    "COMPUTE_GRAPHICS_MODEL_VGA",
    "COMPUTE_GRAPHICS_MODEL_VIRTIO",
    "COMPUTE_GRAPHICS_MODEL_CIRRUS",
    "COMPUTE_STORAGE_BUS_VIRTIO",
    "COMPUTE_STORAGE_BUS_IDE",
    "COMPUTE_STORAGE_BUS_SCSI",
    "COMPUTE_STORAGE_BUS_SATA",
    "COMPUTE_STORAGE_BUS_USB",
    "COMPUTE_VIOMMU_MODEL_AUTO",
    "COMPUTE_MEM_BACKING_FILE",
    "COMPUTE_ADDRESS_SPACE_PASSTHROUGH",
    "COMPUTE_ADDRESS_SPACE_EMULATED",
    "COMPUTE_REMOTE_MANAGED_PORTS",
    "HW_CPU_HYPERTHREADING",
    "HW_CPU_X86_AMD_SEV",
    "HW_CPU_X86_INTEL_VMX",
    "HW_NUMA_ROOT",
    "HW_NIC_SRIOV",
    "HW_NIC_SRIOV_MULTIQUEUE",
    "HW_NIC_SRIOV_TRUSTED",
    "HW_NIC_MULTIQUEUE",
    "HW_NIC_OFFLOAD_TSO",
    "HW_NIC_OFFLOAD_GSO",
    "HW_NIC_OFFLOAD_GRO",
    "HW_NIC_OFFLOAD_RX",
    "HW_NIC_OFFLOAD_TX",
    "HW_NIC_OFFLOAD_SG",
    "HW_NIC_OFFLOAD_RXVLAN",
    "HW_NIC_OFFLOAD_TXVLAN",
    "HW_NIC_DCB_PFC",
    "HW_NIC_ACCEL_SSL",
    "HW_NIC_ACCEL_IPSEC",
    "HW_GPU_API_VULKAN",
    "HW_GPU_API_OPENGL_4_5",
    "HW_GPU_CUDA_COMPUTE_CAPABILITY_V7_0",
    "HW_ARCH_X86_64",
    "HW_ARCH_AARCH64",
    "HW_ARCH_PPC64LE",
    "HW_ARCH_S390X",
    "STORAGE_DISK_SSD",
    "STORAGE_DISK_HDD",
    "MISC_SHARES_VIA_AGGREGATE",
    "OWNER_CYBORG",
    "OWNER_NOVA",
]
STANDARD_TRAITS = tuple(
    sorted({*(f"HW_CPU_X86_{flag}" for flag in _CPU_FLAGS), *_STANDARD_TRAIT_TAILS})
)


def check_custom(name: str, kind: str) -> None:
    """Only CUSTOM_ names may be created, renamed or deleted."""
    if not CUSTOM_RE.match(name):
        raise BadRequest(
            f"'{name}' is not a valid {kind}: it must start with CUSTOM_ and contain "
            "only upper-case letters, digits and underscores."
        )


async def _ensure(
    db: Database, model: type[ResourceClass] | type[Trait], wanted: Iterable[str]
) -> None:
    async with db.session() as s:
        have = set((await s.scalars(select(model.name))).all())
        now = time.time()
        rows = [{"name": n, "created_at": now, "updated_at": now} for n in wanted if n not in have]
        if not rows:
            return
        try:
            await s.execute(insert(model), rows)
        except IntegrityError:
            # Another process seeded the same names first; theirs are as good as ours.
            await s.rollback()


async def ensure_standard(db: Database) -> None:
    """Record every standard resource class and trait (idempotent, safe to race)."""
    await _ensure(db, ResourceClass, STANDARD_CLASSES)
    await _ensure(db, Trait, STANDARD_TRAITS)


async def class_ids(s: AsyncSession, wanted: Iterable[str]) -> dict[str, int]:
    """Map resource class names to ids; an unknown name is a 400 naming it."""
    names = set(wanted)
    if not names:
        return {}
    rows = await s.execute(
        select(ResourceClass.name, ResourceClass.id).where(ResourceClass.name.in_(names))
    )
    found = {name: id_ for name, id_ in rows.all()}
    missing = sorted(names - found.keys())
    if missing:
        raise BadRequest(f"Unknown resource class in request: {', '.join(missing)}")
    return found


async def class_names(s: AsyncSession) -> dict[int, str]:
    rows = await s.execute(select(ResourceClass.id, ResourceClass.name))
    return {id_: name for id_, name in rows.all()}


async def trait_ids(s: AsyncSession, wanted: Iterable[str]) -> dict[str, int]:
    """Map trait names to ids; an unknown trait is a 400 naming it."""
    names = set(wanted)
    if not names:
        return {}
    rows = await s.execute(select(Trait.name, Trait.id).where(Trait.name.in_(names)))
    found = {name: id_ for name, id_ in rows.all()}
    missing = sorted(names - found.keys())
    if missing:
        raise BadRequest(f"No such trait(s): {', '.join(missing)}")
    return found
