"""The metadata shared secret: one [metadata] section that compute and networking both read.

networking's metadata agent signs the instance id it found for a guest with it
(``X-Instance-ID-Signature``, hex HMAC-SHA256), and compute's metadata API trusts an
instance id only with a valid signature. When the option is empty, ``nimbostack up``
writes a generated secret to ``<data dir>/metadata-secret`` and every process of that
data directory reads the same file.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from nimbostack.core.config import Config, Opt, register

SECRET_FILE = "metadata-secret"
# The option the secret had before it was shared, still read when the new one is unset.
DEPRECATED = ("compute", "metadata_proxy_shared_secret")

register(
    "metadata",
    "The metadata proxy's shared secret (compute's metadata API and networking's agent).",
    [
        Opt(
            "shared_secret",
            "",
            "Secret the metadata agent signs instance ids with (X-Instance-ID-Signature). "
            f"Empty: <data dir>/{SECRET_FILE}, which `nimbostack up` generates; while "
            "neither is set the metadata API refuses every request.",
            secret=True,
        ),
    ],
)


def shared_secret(conf: Config, data_dir: Path) -> str:
    """[metadata] shared_secret, else compute's deprecated option, else the data dir's file.

    Reads a file: call it once at start-up, not per request.
    """
    section, option = DEPRECATED
    for value in (conf.metadata.get("shared_secret"), conf.section(section).get(option)):
        if value:
            return str(value)
    path = data_dir / SECRET_FILE
    return path.read_text().strip() if path.is_file() else ""


def settle_shared_secret(conf: Config, data_dir: Path) -> str:
    """Resolve the secret once (``shared_secret``) and keep it in ``conf`` for handlers."""
    secret = shared_secret(conf, data_dir)
    conf.override("metadata", shared_secret=secret)
    return secret


def sign(secret: str, instance_id: str) -> str:
    """``X-Instance-ID-Signature``: hex HMAC-SHA256 of the instance id under the secret."""
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, instance_id: str, signature: str) -> bool:
    """Whether ``signature`` signs ``instance_id`` (never with an empty secret)."""
    return bool(secret) and hmac.compare_digest(sign(secret, instance_id), signature)
