"""Microversion negotiation (``OpenStack-API-Version``) shared by compute, placement, volume."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering

from nimbostack.core.errors import BadRequest, NotAcceptable

_VERSION_RE = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


@lru_cache(maxsize=1024)
def _parse(text: str) -> Version:
    # Views compare against literal versions many times per request: parse each once.
    match = _VERSION_RE.match(text.strip())
    if not match:
        raise BadRequest(f"Invalid microversion format: {text!r}")
    return Version(int(match.group(1)), int(match.group(2)))


@total_ordering
@dataclass(frozen=True)
class Version:
    """A ``major.minor`` API microversion."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Version:
        return _parse(text)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def matches(self, low: str | None = None, high: str | None = None) -> bool:
        if low is not None and self < Version.parse(low):
            return False
        return not (high is not None and self > Version.parse(high))


@dataclass(frozen=True)
class VersionRange:
    """The microversions one API supports, and the header names it answers to."""

    service_type: str
    minimum: Version
    maximum: Version
    legacy_header: str | None = None

    def negotiate(self, headers: dict[str, str]) -> Version:
        requested = self._requested(headers)
        if requested is None:
            return self.minimum
        if requested == "latest":
            return self.maximum
        version = Version.parse(requested)
        if not self.minimum <= version <= self.maximum:
            raise NotAcceptable(
                f"Version {version} is not supported by the API. Minimum is {self.minimum} "
                f"and maximum is {self.maximum}."
            )
        return version

    def _requested(self, headers: dict[str, str]) -> str | None:
        value = headers.get("openstack-api-version")
        if value:
            for item in value.split(","):
                parts = item.strip().split()
                if len(parts) == 2 and parts[0].lower() == self.service_type:
                    return parts[1].lower()
        if self.legacy_header:
            legacy = headers.get(self.legacy_header.lower())
            if legacy:
                return legacy.strip().lower()
        return None

    def response_headers(self, version: Version) -> dict[str, str]:
        headers = {
            "OpenStack-API-Version": f"{self.service_type} {version}",
            "Vary": "OpenStack-API-Version",
        }
        if self.legacy_header:
            headers[self.legacy_header] = str(version)
            headers["Vary"] = f"OpenStack-API-Version, {self.legacy_header}"
        return headers
