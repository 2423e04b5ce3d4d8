"""Disk image safety, shared by the image service and the compute hosts.

``inspect`` says whether image data really has its declared disk_format and names
no file outside itself (backing files, external data files, VMDK extents and
parents); ``FormatError`` carries the reason for a refusal.
"""

from nimbostack.core.diskimage.inspect import (
    DEFAULT_TIMEOUT,
    Inspection,
    check_header,
    expected_format,
    inspect,
)
from nimbostack.core.diskimage.probe import FormatError

__all__ = [
    "DEFAULT_TIMEOUT",
    "FormatError",
    "Inspection",
    "check_header",
    "expected_format",
    "inspect",
]
