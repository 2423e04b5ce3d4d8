"""Every server action (``POST /servers/{id}/action``): its schema, policy rule and message.

This table is the one place an action's name is joined to what guards and carries it.
The API dispatch looks an action up here, enforces its rule and validates its value
against its schema before the action's handler runs; the message type is what the
handler sends, and its receiver's RPC endpoint (agent or conductor) holds the handler
for it, found by that type. Actions that only change the API's records send nothing.
A unit test checks that every action here has a registered rule, a valid schema, a
handler in the API and, for its message, a handler on the receiving side.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nimbostack.compute.api.server_create_schema import HOSTNAME, METADATA, NAME
from nimbostack.compute.messages import (
    ConfirmResize,
    EvacuateInstance,
    GetConsole,
    GetConsoleOutput,
    LiveMigrateInstance,
    MigrateInstance,
    OffloadInstance,
    PauseInstance,
    RebootInstance,
    RebuildInstance,
    RescueInstance,
    ResumeInstance,
    RevertResize,
    SnapshotInstance,
    StartInstance,
    StopInstance,
    SuspendInstance,
    TerminateInstance,
    UnpauseInstance,
    UnrescueInstance,
    UnshelveInstance,
)
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.rpc import Message

Schema = dict[str, Any]


class Receiver(enum.Enum):
    """Who handles an action's message."""

    AGENT = "agent"  # compute.agent.<host>
    CONDUCTOR = "conductor"  # compute.conductor
    API = "api"  # nobody: the API changes its records itself


@dataclass(frozen=True)
class ServerAction:
    """One action: who may run it, what its value must look like, what it sends where."""

    rule: str
    schema: Schema | Callable[[Version], Schema]
    message: type[Message] | None
    receiver: Receiver

    def schema_for(self, version: Version) -> Schema:
        return self.schema(version) if callable(self.schema) else self.schema


# Nova ignores the value of these actions; clients send null.
ANY_VALUE: Schema = {}
NULL_OR_OBJECT: Schema = {"type": ["object", "null"]}
HOST = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
FLAG = {"type": ["boolean", "string"]}
REBOOT: Schema = {
    "type": "object",
    "properties": {"type": {"type": "string"}},
    "required": ["type"],
}
LOCK: Schema = {"type": ["object", "null"]}
RESET_STATE: Schema = {
    "type": "object",
    "properties": {"state": {"enum": ["active", "error"]}},
    "required": ["state"],
}
RESIZE: Schema = {
    "type": "object",
    "properties": {
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
    },
    "required": ["flavorRef"],
    "additionalProperties": False,
}
MIGRATE: Schema = {
    "type": ["object", "null"],
    "properties": {"host": HOST},
    "additionalProperties": False,
}
LIVE_MIGRATE: Schema = {
    "type": "object",
    "properties": {
        "host": HOST,
        "block_migration": FLAG,
        "disk_over_commit": FLAG,
        "force": FLAG,
    },
    "required": ["host"],
    "additionalProperties": False,
}
EVACUATE: Schema = {
    "type": "object",
    "properties": {
        "host": HOST,
        "adminPass": {"type": "string"},
        "onSharedStorage": FLAG,
        "force": FLAG,
    },
    "additionalProperties": False,
}
CREATE_IMAGE: Schema = {
    "type": "object",
    "properties": {"name": NAME, "metadata": METADATA},
    "required": ["name"],
    "additionalProperties": False,
}
RESCUE: Schema = {
    "type": ["object", "null"],
    "properties": {
        "adminPass": {"type": "string"},
        "rescue_image_ref": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}
CREATE_BACKUP: Schema = {
    "type": "object",
    "properties": {
        "name": NAME,
        "backup_type": {"type": "string", "minLength": 1, "maxLength": 255},
        "rotation": {
            "type": ["integer", "string"],
            "pattern": "^[0-9]+$",
            "minimum": 0,
            "maximum": MAX_INT,
        },
        "metadata": METADATA,
    },
    "required": ["name", "backup_type", "rotation"],
    "additionalProperties": False,
}
CHANGE_PASSWORD: Schema = {
    "type": "object",
    "properties": {"adminPass": {"type": "string"}},
    "required": ["adminPass"],
    "additionalProperties": False,
}
CONSOLE_OUTPUT: Schema = {"type": ["object", "null"]}
SECURITY_GROUP: Schema = {
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255}},
    "required": ["name"],
    "additionalProperties": False,
}
LEGACY_CONSOLE: Schema = {
    "type": "object",
    "properties": {"type": {"type": "string"}},
    "required": ["type"],
}


def rebuild_schema(version: Version) -> Schema:
    """``rebuild``'s value; later microversions accept more fields."""
    props: dict[str, Any] = {
        "imageRef": {"type": "string", "minLength": 1},
        "name": NAME,
        "adminPass": {"type": "string"},
        "metadata": METADATA,
        "preserve_ephemeral": {"type": "boolean"},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
        "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
    }
    if not version.matches("2.57"):
        props["personality"] = {"type": "array"}
    if version.matches("2.19"):
        props["description"] = {"type": ["string", "null"], "maxLength": 255}
    if version.matches("2.54"):
        props["key_name"] = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
    if version.matches("2.57"):
        props["user_data"] = {"type": ["string", "null"], "maxLength": 65535}
    if version.matches("2.63"):
        props["trusted_image_certificates"] = {"type": ["array", "null"]}
    if version.matches("2.90"):
        props["hostname"] = HOSTNAME
    return {
        "type": "object",
        "properties": props,
        "required": ["imageRef"],
        "additionalProperties": False,
    }


AGENT, CONDUCTOR, API = Receiver.AGENT, Receiver.CONDUCTOR, Receiver.API

ACTIONS: dict[str, ServerAction] = {
    # Power.
    "os-stop": ServerAction("os_compute_api:servers:stop", ANY_VALUE, StopInstance, AGENT),
    "os-start": ServerAction("os_compute_api:servers:start", ANY_VALUE, StartInstance, AGENT),
    "reboot": ServerAction("os_compute_api:servers:reboot", REBOOT, RebootInstance, AGENT),
    "pause": ServerAction("os_compute_api:os-pause-server:pause", ANY_VALUE, PauseInstance, AGENT),
    "unpause": ServerAction(
        "os_compute_api:os-pause-server:unpause", ANY_VALUE, UnpauseInstance, AGENT
    ),
    "suspend": ServerAction(
        "os_compute_api:os-suspend-server:suspend", ANY_VALUE, SuspendInstance, AGENT
    ),
    "resume": ServerAction(
        "os_compute_api:os-suspend-server:resume", ANY_VALUE, ResumeInstance, AGENT
    ),
    # Records only.
    "lock": ServerAction("os_compute_api:os-lock-server:lock", LOCK, None, API),
    "unlock": ServerAction("os_compute_api:os-lock-server:unlock", ANY_VALUE, None, API),
    "os-resetState": ServerAction(
        "os_compute_api:os-admin-actions:reset_state", RESET_STATE, None, API
    ),
    "restore": ServerAction("os_compute_api:os-deferred-delete:restore", ANY_VALUE, None, API),
    "changePassword": ServerAction("os_compute_api:os-admin-password", CHANGE_PASSWORD, None, API),
    "forceDelete": ServerAction(
        "os_compute_api:os-deferred-delete:force", ANY_VALUE, TerminateInstance, AGENT
    ),
    # Shelving.
    "shelve": ServerAction("os_compute_api:os-shelve:shelve", ANY_VALUE, SnapshotInstance, AGENT),
    "shelveOffload": ServerAction(
        "os_compute_api:os-shelve:shelve_offload", ANY_VALUE, OffloadInstance, AGENT
    ),
    "unshelve": ServerAction(
        "os_compute_api:os-shelve:unshelve", NULL_OR_OBJECT, UnshelveInstance, CONDUCTOR
    ),
    # Moves.
    "resize": ServerAction("os_compute_api:servers:resize", RESIZE, MigrateInstance, CONDUCTOR),
    "confirmResize": ServerAction(
        "os_compute_api:servers:confirm_resize", ANY_VALUE, ConfirmResize, AGENT
    ),
    "revertResize": ServerAction(
        "os_compute_api:servers:revert_resize", ANY_VALUE, RevertResize, AGENT
    ),
    "migrate": ServerAction(
        "os_compute_api:os-migrate-server:migrate", MIGRATE, MigrateInstance, CONDUCTOR
    ),
    "os-migrateLive": ServerAction(
        "os_compute_api:os-migrate-server:migrate_live",
        LIVE_MIGRATE,
        LiveMigrateInstance,
        CONDUCTOR,
    ),
    "evacuate": ServerAction("os_compute_api:os-evacuate", EVACUATE, EvacuateInstance, CONDUCTOR),
    # Images.
    "createImage": ServerAction(
        "os_compute_api:servers:create_image", CREATE_IMAGE, SnapshotInstance, AGENT
    ),
    "createBackup": ServerAction(
        "os_compute_api:os-create-backup", CREATE_BACKUP, SnapshotInstance, AGENT
    ),
    "rebuild": ServerAction(
        "os_compute_api:servers:rebuild", rebuild_schema, RebuildInstance, AGENT
    ),
    "rescue": ServerAction("os_compute_api:os-rescue", RESCUE, RescueInstance, AGENT),
    "unrescue": ServerAction("os_compute_api:os-unrescue", ANY_VALUE, UnrescueInstance, AGENT),
    # Security groups (on the server's ports, through the networking service).
    "addSecurityGroup": ServerAction(
        "os_compute_api:os-security-groups:add", SECURITY_GROUP, None, API
    ),
    "removeSecurityGroup": ServerAction(
        "os_compute_api:os-security-groups:remove", SECURITY_GROUP, None, API
    ),
    # Consoles.
    "os-getConsoleOutput": ServerAction(
        "os_compute_api:os-console-output", CONSOLE_OUTPUT, GetConsoleOutput, AGENT
    ),
    "os-getVNCConsole": ServerAction(
        "os_compute_api:os-remote-consoles", LEGACY_CONSOLE, GetConsole, AGENT
    ),
    "os-getSPICEConsole": ServerAction(
        "os_compute_api:os-remote-consoles", LEGACY_CONSOLE, GetConsole, AGENT
    ),
    "os-getSerialConsole": ServerAction(
        "os_compute_api:os-remote-consoles", LEGACY_CONSOLE, GetConsole, AGENT
    ),
    "os-getRDPConsole": ServerAction(
        "os_compute_api:os-remote-consoles", LEGACY_CONSOLE, GetConsole, AGENT
    ),
}
