"""The HTTP application: REST, OpenAI-compatible and WebSocket APIs, probes and /metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import telemetry
from gateway.frontdoors import config_api, http_api, openai_api, ws_api
from gateway.frontdoors.http_errors import install_error_handlers, json_error_bytes
from gateway.frontdoors.schemas import Liveness, Readiness, documented
from gateway.pipeline.ratelimits import QUOTA
from gateway.state import Gateway
from services.common import context as ctx
from services.common.reasons import Reason

DESCRIPTION = """The front door of persona-mesh. Every request carries `Authorization: Bearer <key>`
(or `X-API-Key`); errors answer `{"error": {code, reason, message, request_id}}`. See docs/gateway.md."""


# A refused body is read on and thrown away up to this much (at least 8 MiB, or 4 limits) for this long, so a
# client that sends its whole body before reading gets the 413 rather than a reset connection (as nginx lingers).
_DRAIN_MIN_BYTES = 8 * 1024 * 1024
_DRAIN_SECONDS = 5.0


QUOTA_HEADER_NAMES = ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests")


def _quota_headers(quota: dict[str, int]) -> list[tuple[bytes, bytes]]:
    """The caller's request quota as OpenAI names it (x-ratelimit-*-requests); none before the limiter ran."""
    if not quota:
        return []
    values = (str(quota["limit"]), str(quota["remaining"]), f"{quota['reset']}s")
    return [(name.encode(), value.encode()) for name, value in zip(QUOTA_HEADER_NAMES, values, strict=True)]


class RequestContextMiddleware:
    """Gives each request an id (or takes `X-Request-ID`), echoes it, and refuses oversized bodies.

    The body limit holds while the body is read, whatever the framing. Nothing past the limit is
    ever kept: a declared Content-Length over it is refused before the body is read; a chunked
    body is counted as it arrives and refused as soon as it passes the limit. Either way the 413
    comes after the rest of the body is read and discarded (bounded: `drain_bytes`, 5 s), or at
    once with `Connection: close` when the body is larger than that (the rest is never read).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.drain_bytes = max(_DRAIN_MIN_BYTES, 4 * max_body_bytes)

    async def _refuse_too_large(self, send: Send, request_id: str, *, close: bool) -> None:
        telemetry.rejected(413, Reason.BODY_TOO_LARGE)
        body = json_error_bytes(
            "INVALID_ARGUMENT", Reason.BODY_TOO_LARGE, f"the body exceeds {self.max_body_bytes} bytes"
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))  # the rest of the body is never read
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _drain(self, receive: Receive, already: int) -> bool:
        """Read and discard the rest of a refused body, within bounds; True when it ended (connection reusable)."""
        total = already
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _DRAIN_SECONDS
        while total <= self.drain_bytes:
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    message = await receive()
            except TimeoutError:
                return False
            if message["type"] != "http.request":
                return False
            total += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False

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
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.max_body_bytes:
            # With `Expect: 100-continue` the body has not been sent: answer without asking for it.
            waits = b"100-continue" in headers.get(b"expect", b"").lower()
            drained = not waits and int(length) <= self.drain_bytes and await self._drain(receive, 0)
            await self._refuse_too_large(send, request_id, close=not drained)
            return

        started = False  # a response has begun (the app's or ours)
        refused = False  # we answered 413: what the app answers next goes nowhere
        received = 0

        async def limited_receive() -> Message:
            nonlocal started, refused, received
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    if not started:
                        started = refused = True
                        drained = message.get("more_body", False) and await self._drain(receive, received)
                        await self._refuse_too_large(
                            send, request_id, close=bool(message.get("more_body", False)) and not drained
                        )
                    # To the app the client is gone: it stops reading and its answer is dropped.
                    return {"type": "http.disconnect"}
            return message

        quota: dict[str, int] = {}
        QUOTA.set(quota)

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *_quota_headers(quota),
                ]
            await send(message)

        await self.app(scope, limited_receive, send_with_id)


# Swagger UI 5 and ReDoc as files of a pinned PyPI package (FastAPI's pages load them from a CDN: blank offline).
DOCS_FILES = Path(fastapi_offline.__file__).parent / "static"


def _serve_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc from the gateway's own files."""
    app.mount("/docs/static", StaticFiles(directory=DOCS_FILES), name="docs-static")
    title = f"{app.title} - API"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url="/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/docs/static/swagger-ui.css",
            swagger_favicon_url="/docs/static/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url="/docs/static/redoc.standalone.js",
            redoc_favicon_url="/docs/static/favicon.png",
            with_google_fonts=False,
        )


def _without_422(app: FastAPI) -> None:
    """FastAPI lists a 422 on every operation with input; the gateway answers bad input with 400 and its
    own envelope (declared by each router: http_errors.error_responses), so the 422 and its schemas go."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = document.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(title="persona-mesh gateway", version="1.0.0", description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.gateway = gateway
    _serve_docs(app)
    _without_422(app)
    app.state.websockets = ws_api.OpenSockets()
    install_error_handlers(app)
    app.include_router(http_api.router)
    app.include_router(config_api.router)
    app.include_router(openai_api.router)
    app.include_router(ws_api.router)

    @app.get("/healthz", tags=["probes"], summary="Liveness: the process answers", **documented(Liveness))
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["probes"],
        summary="Readiness: warmed up and some persona has a healthy replica",
        **documented(Readiness, also={503: Readiness}),
    )
    async def readyz() -> Any:
        groups = gateway.registry.personas.values()
        ready = gateway.ready and any(g.healthy() for g in groups)
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    @app.get(
        "/metrics",
        tags=["probes"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"description": "Prometheus' text exposition format"}},
    )
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    telemetry.install(gateway)  # audit log, anomaly detection, breaker and replica gauges
    app.add_middleware(telemetry.ObservabilityMiddleware)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=gateway.settings.max_body_bytes)
    origins = [origin.strip() for origin in gateway.settings.cors_origins.split(",") if origin.strip()]
    if origins:  # browsers on these origins may call the API; off unless PM_CORS_ORIGINS names them
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-api-key", "x-request-id"],
            expose_headers=["x-request-id", *QUOTA_HEADER_NAMES, "retry-after"],
            max_age=600,
        )
    return app
