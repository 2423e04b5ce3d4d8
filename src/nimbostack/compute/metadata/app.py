"""Builds the metadata API app; see ``handlers`` for the paths it serves."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from nimbostack.compute.metadata.handlers import serve


def build_metadata_app(state: Any) -> Starlette:
    app = Starlette(
        routes=[
            Route("/", serve, methods=["GET"]),
            Route("/{path:path}", serve, methods=["GET"]),
        ]
    )
    app.state.compute = state
    return app
