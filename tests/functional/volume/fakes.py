"""Test doubles of the services block storage calls: an image API and a compute API.

They speak just enough of Glance v2 and Nova v2.1 over HTTP for the volume service's
clients (records in memory, image data in files), and record what they were told.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

GiB = 1024**3


@dataclass
class FakeImages:
    """Glance records and data files; ``add`` registers an image from a file."""

    directory: Path
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, path: Path, disk_format: str, **fields: Any) -> dict[str, Any]:
        data = path.read_bytes()
        image_id = str(uuid.uuid4())
        target = self.directory / image_id
        target.write_bytes(data)
        record = {
            "id": image_id,
            "name": fields.pop("name", f"image-{image_id[:8]}"),
            "status": "active",
            "disk_format": disk_format,
            "container_format": "bare",
            "size": len(data),
            "virtual_size": fields.pop("virtual_size", None),
            "min_disk": fields.pop("min_disk", 0),
            "min_ram": 0,
            "checksum": hashlib.md5(data).hexdigest(),
            "os_hash_algo": "sha512",
            "os_hash_value": hashlib.sha512(data).hexdigest(),
            "updated_at": "2026-01-01T00:00:00Z",
            "visibility": "public",
            **fields,
        }
        self.records[image_id] = record
        return record

    def app(self) -> Starlette:
        async def show(req: Request) -> Response:
            found = self.records.get(req.path_params["image_id"])
            if found is None:
                return JSONResponse({"message": "not found"}, 404)
            return JSONResponse(found)

        async def data(req: Request) -> Response:
            image_id = req.path_params["image_id"]
            if req.method == "PUT":
                body = await req.body()
                (self.directory / image_id).write_bytes(body)
                record = self.records[image_id]
                record.update(
                    status="active", size=len(body), checksum=hashlib.md5(body).hexdigest()
                )
                return Response(status_code=204)
            if image_id not in self.records:
                return JSONResponse({"message": "not found"}, 404)
            return FileResponse(self.directory / image_id)

        async def create(req: Request) -> Response:
            fields = await req.json()
            image_id = str(uuid.uuid4())
            self.records[image_id] = {"id": image_id, "status": "queued", **fields}
            return JSONResponse(self.records[image_id], 201)

        async def delete(req: Request) -> Response:
            self.records.pop(req.path_params["image_id"], None)
            return Response(status_code=204)

        return Starlette(
            routes=[
                Route("/v2/images", create, methods=["POST"]),
                Route("/v2/images/{image_id}", show, methods=["GET"]),
                Route("/v2/images/{image_id}", delete, methods=["DELETE"]),
                Route("/v2/images/{image_id}/file", data, methods=["GET", "PUT"]),
            ]
        )


@dataclass
class FakeCompute:
    """Servers by uuid, their volume attachments, and the external events received."""

    servers: set[str] = field(default_factory=set)
    # (server, volume) -> attachment id compute records for it
    attachments: dict[tuple[str, str], str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    event_code: int = 200

    def app(self) -> Starlette:
        async def server(req: Request) -> Response:
            sid = req.path_params["server_id"]
            if sid not in self.servers:
                return JSONResponse({"itemNotFound": {"code": 404}}, 404)
            return JSONResponse({"server": {"id": sid, "status": "ACTIVE"}})

        async def volume_attachment(req: Request) -> Response:
            key = (req.path_params["server_id"], req.path_params["volume_id"])
            if key not in self.attachments:
                return JSONResponse({"itemNotFound": {"code": 404}}, 404)
            att = {"volumeId": key[1], "serverId": key[0], "attachment_id": self.attachments[key]}
            return JSONResponse({"volumeAttachment": att})

        async def events(req: Request) -> Response:
            body = await req.json()
            results = []
            for event in body["events"]:
                self.events.append({**event, "at": time.time()})
                known = event["server_uuid"] in self.servers
                results.append({**event, "code": self.event_code if known else 404})
            return JSONResponse({"events": results}, 200)

        return Starlette(
            routes=[
                Route("/v2.1/servers/{server_id}", server, methods=["GET"]),
                Route(
                    "/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}",
                    volume_attachment,
                    methods=["GET"],
                ),
                Route("/v2.1/os-server-external-events", events, methods=["POST"]),
            ]
        )


class Router(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app serving its host name."""

    def __init__(self, apps: dict[str, Starlette]) -> None:
        self.transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no test service at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


CATALOG = [
    {"type": "image", "endpoints": [{"interface": "public", "url": "http://image"}]},
    {"type": "compute", "endpoints": [{"interface": "public", "url": "http://compute/v2.1"}]},
]
