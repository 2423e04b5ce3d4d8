"""The microversions the block storage API speaks (Cinder v3)."""

from __future__ import annotations

from nimbostack.core.api.microversion import Version, VersionRange

MIN_VERSION = Version(3, 0)
MAX_VERSION = Version(3, 71)
UPDATED = "2023-08-31T00:00:00Z"
VERSIONS = VersionRange("volume", MIN_VERSION, MAX_VERSION)
