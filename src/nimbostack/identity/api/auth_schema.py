"""JSON schema of POST /v3/auth/tokens."""

from __future__ import annotations

from typing import Any

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_REF = {
    "type": "object",
    "properties": {"id": _NAME, "name": _NAME},
}
_USER = {
    "type": "object",
    "properties": {
        "id": _NAME,
        "name": _NAME,
        "password": {"type": "string"},
        "domain": _REF,
    },
}

AUTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["auth"],
    "properties": {
        "auth": {
            "type": "object",
            "required": ["identity"],
            "properties": {
                "identity": {
                    "type": "object",
                    "required": ["methods"],
                    "properties": {
                        "methods": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string"},
                        },
                        "password": {
                            "type": "object",
                            "required": ["user"],
                            "properties": {"user": _USER},
                        },
                        "token": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "string", "minLength": 1}},
                        },
                        "application_credential": {
                            "type": "object",
                            "required": ["secret"],
                            "properties": {
                                "id": _NAME,
                                "name": _NAME,
                                "secret": {"type": "string"},
                                "user": _USER,
                            },
                        },
                    },
                },
                "scope": {
                    "anyOf": [
                        {"type": "string", "enum": ["unscoped"]},
                        {
                            "type": "object",
                            "properties": {
                                "project": {
                                    "type": "object",
                                    "properties": {"id": _NAME, "name": _NAME, "domain": _REF},
                                },
                                "domain": _REF,
                                "system": {
                                    "type": "object",
                                    "properties": {"all": {"type": "boolean"}},
                                },
                                "OS-TRUST:trust": {"type": "object"},
                            },
                        },
                    ]
                },
            },
        }
    },
}
