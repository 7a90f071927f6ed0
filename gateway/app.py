"""The HTTP application: REST, OpenAI-compatible and WebSocket APIs, probes and /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import config_api, http_api, openai_api, ws_api
from gateway.http_errors import install_error_handlers, json_error_bytes
from gateway.state import Gateway
from services.common import context as ctx

DESCRIPTION = """The front door of persona-mesh. Every request carries `Authorization: Bearer <key>`
(or `X-API-Key`); errors answer `{"error": {code, reason, message, request_id}}`. See docs/gateway.md."""


class RequestContextMiddleware:
    """Gives each request an id (or takes `X-Request-ID`), echoes it, and refuses oversized bodies."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = incoming if incoming.isprintable() and incoming else ctx.new_request_id()
        ctx.request_id_var.set(request_id)
        ctx.role_var.set("")
        ctx.user_var.set("")
        length = headers.get(b"content-length", b"0")
        if scope["type"] == "http" and length.isdigit() and int(length) > self.max_body_bytes:
            body = json_error_bytes(
                "INVALID_ARGUMENT", "BODY_TOO_LARGE", f"the body exceeds {self.max_body_bytes} bytes"
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(title="persona-mesh gateway", version="1.0.0", description=DESCRIPTION)
    app.state.gateway = gateway
    install_error_handlers(app)
    app.include_router(http_api.router)
    app.include_router(config_api.router)
    app.include_router(openai_api.router)
    app.include_router(ws_api.router)

    @app.get("/healthz", tags=["probes"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["probes"], summary="Readiness: warmed up and some persona has a healthy replica")
    async def readyz() -> Any:
        groups = gateway.registry.personas.values()
        ready = gateway.ready and any(g.healthy() for g in groups)
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["probes"], summary="Prometheus metrics", include_in_schema=True)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestContextMiddleware, max_body_bytes=gateway.settings.max_body_bytes)
    return app
