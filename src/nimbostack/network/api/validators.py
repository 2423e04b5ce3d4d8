"""Converters for request attributes: each returns the value to store or raises ValueError.

The ValueError's text is the "Reason" of Neutron's 400 ("Invalid input for name.
Reason: ..."), so the messages follow Neutron's wording.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from typing import Any

from nimbostack.core.api.params import bounded_int, clipped
from nimbostack.core.api.schema import MAX_BIGINT, MAX_INT

Convert = Callable[[Any], Any]
_MAC = re.compile(r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$")
_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def string(max_len: int = 255, min_len: int = 0) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"'{value}' is not a valid string")
        if len(value) < min_len:
            raise ValueError(f"'{value}' is too short - must be at least {min_len} characters")
        if len(value) > max_len:
            raise ValueError(f"'{value}' exceeds maximum length of {max_len}")
        return value

    return check


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError(f"'{value}' cannot be converted to boolean")


def integer(low: int | None = None, high: int | None = None) -> Convert:
    """An integer (or its decimal text) within ``low..high``, 32-bit columns by default."""
    low = -MAX_INT - 1 if low is None else low
    high = MAX_INT if high is None else high

    def check(value: Any) -> int:
        number = _as_int(value)
        if number is None:
            raise ValueError(f"'{clipped(str(value))}' is not an integer")
        if number < low:
            raise ValueError(f"'{number}' is too small - must be at least '{low}'")
        if number > high:
            raise ValueError(f"'{number}' is too large - must be no larger than '{high}'")
        return number

    return check


def _as_int(value: Any) -> int | None:
    """``value`` as an int if it is one (a JSON integer, an integral float, decimal text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        return bounded_int(value, -MAX_BIGINT - 1, MAX_BIGINT)
    return None


def uuid_str(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value))) if isinstance(value, str) else _bad_uuid(value)
    except ValueError:
        return _bad_uuid(value)


def _bad_uuid(value: Any) -> str:
    raise ValueError(f"'{value}' is not a valid UUID")


def nullable(convert: Convert) -> Convert:
    def check(value: Any) -> Any:
        return None if value is None else convert(value)

    return check


def choice(*values: Any) -> Convert:
    def check(value: Any) -> Any:
        if value not in values:
            raise ValueError(f"'{value}' is not in {list(values)}")
        return value

    return check


def ip_address(value: Any) -> str:
    """An address in canonical text form (IPv6 compressed, no zone)."""
    if not isinstance(value, str) or "%" in value or "/" in value:
        raise ValueError(f"'{value}' is not a valid IP address")
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP address") from None


def cidr(value: Any) -> str:
    """A network with its prefix length, normalized (host bits cleared)."""
    if not isinstance(value, str) or value != value.strip():
        raise ValueError(f"'{value}' is not a valid IP subnet")
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP subnet") from None
    if "/" not in value:
        raise ValueError(f"'{value}' isn't a recommended CIDR, '{net}' is recommended")
    return str(net)


def prefix(value: Any) -> str:
    """An address or a network with its mask (``10.0.0.5`` is ``10.0.0.5/32``), as given."""
    if not isinstance(value, str):
        raise ValueError(f"'{value}' is not a valid IP prefix")
    try:
        return str(ipaddress.ip_interface(value.strip()))
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP prefix") from None


def network(value: Any) -> str:
    """An address or a network, as the network it names (host bits cleared)."""
    return str(ipaddress.ip_interface(prefix(value)).network)


def mac_address(value: Any) -> str:
    if not isinstance(value, str) or not _MAC.match(value):
        raise ValueError(f"'{value}' is not a valid MAC address")
    mac = value.lower().replace("-", ":")
    if mac == "00:00:00:00:00:00" or int(mac[:2], 16) & 1:
        raise ValueError(f"'{value}' is not a valid MAC address")
    return mac


def list_of(convert: Convert, *, max_items: int | None = None, unique: bool = False) -> Convert:
    def check(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValueError(f"'{value}' is not a list")
        items = [convert(item) for item in value]
        if unique and len(set(map(str, items))) != len(items):
            raise ValueError(f"Duplicate items in the list: '{', '.join(map(str, value))}'")
        if max_items is not None and len(items) > max_items:
            raise ValueError(f"'{value}' exceeds the maximum of {max_items} items")
        return items

    return check


def dict_of(required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Convert:
    """A dict with exactly the given keys (values checked by the caller's logic)."""

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValueError(f"'{value}' is not a dictionary")
        missing = [k for k in required if k not in value]
        if missing:
            raise ValueError(
                "Validation of dictionary's keys failed. "
                f"Expected keys: {set(required)} Provided keys: {set(value)}"
            )
        extra = [k for k in value if k not in required + optional]
        if extra:
            raise ValueError(f"Unexpected keys supplied: {', '.join(sorted(extra))}")
        return dict(value)

    return check


def dns_name(value: Any) -> str:
    """A host name or a fully qualified one (the dns-integration extension)."""
    name = string(255)(value)
    if name == "":
        return name
    labels = name.rstrip(".").split(".")
    if not all(_DNS_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"'{name}' not a valid PQDN or FQDN")
    return name


def json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"'{value}' is not a dictionary")
    return dict(value)
