"""The microversions placement speaks."""

from __future__ import annotations

from nimbostack.core.api.microversion import Version, VersionRange

MIN_VERSION = Version(1, 0)
MAX_VERSION = Version(1, 39)
VERSIONS = VersionRange("placement", MIN_VERSION, MAX_VERSION)
