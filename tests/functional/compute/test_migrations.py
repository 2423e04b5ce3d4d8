"""Compute migrations: admin passwords kept by earlier versions are forgotten on upgrade."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from nimbostack.compute.db.models import Base
from nimbostack.core.db.migrate import upgrade
from tests.functional.compute.api_support import MIGRATIONS


def test_upgrade_forgets_admin_passwords_in_system_metadata(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/compute.sqlite"
    upgrade(url, MIGRATIONS, Base.metadata, revision="0003")
    engine = create_engine(url)
    meta = {"admin_pass": "Old-Clear-Pass", "shelved_image_id": "img-1"}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO instances (uuid, display_name, hostname, project_id, user_id,"
                " image_ref, flavor, vm_state, power_state, config_drive, metadata,"
                " system_metadata, tags, request_spec, network_info, locked, progress,"
                " reservation_id, launch_index, created_at, deleted) VALUES ('u-1', 'vm',"
                " 'vm', 'p', 'u', 'i', '{}', 'active', 1, 1, '{}', :meta, '[]', '{}', '[]',"
                " 0, 0, 'r', 0, :now, 0)"
            ),
            {"meta": json.dumps(meta), "now": time.time()},
        )
    upgrade(url, MIGRATIONS, Base.metadata)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT system_metadata FROM instances")).scalar_one()
    engine.dispose()
    assert json.loads(stored) == {"shelved_image_id": "img-1"}
