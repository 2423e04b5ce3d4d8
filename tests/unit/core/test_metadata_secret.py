"""The metadata shared secret: where compute and networking both find the same value."""

from __future__ import annotations

from pathlib import Path

from nimbostack.compute import options as _compute  # noqa: F401 (the deprecated option)
from nimbostack.core.config import load
from nimbostack.core.metadata import (
    SECRET_FILE,
    settle_shared_secret,
    shared_secret,
    sign,
    verify,
)


def test_the_option_wins_then_the_deprecated_one_then_the_data_dir(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("from-file\n")
    both = {
        "NIMBOSTACK_METADATA__SHARED_SECRET": "new",
        "NIMBOSTACK_COMPUTE__METADATA_PROXY_SHARED_SECRET": "old",
    }
    assert shared_secret(load(None, environ=both), tmp_path) == "new"
    old = {"NIMBOSTACK_COMPUTE__METADATA_PROXY_SHARED_SECRET": "old"}
    assert shared_secret(load(None, environ=old), tmp_path) == "old"
    assert shared_secret(load(None, environ={}), tmp_path) == "from-file"
    assert shared_secret(load(None, environ={}), tmp_path / "nowhere") == ""


def test_settling_keeps_the_value_for_handlers(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("from-file\n")
    conf = load(None, environ={})
    assert settle_shared_secret(conf, tmp_path) == "from-file"
    assert conf.metadata.shared_secret == "from-file"


def test_an_empty_secret_verifies_nothing() -> None:
    assert verify("k", "id", sign("k", "id"))
    assert not verify("k", "id", sign("other", "id"))
    assert not verify("", "id", sign("", "id"))
