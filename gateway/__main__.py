"""`python -m gateway`: one process, two ports — gRPC (GatewayService, health, reflection) and HTTP (uvicorn).

The gateway runs on the same service runtime as every service (`services.common.server.run_service`):
the HTTP API is the runtime's companion, listening before gRPC health reports SERVING and drained
together with the gRPC server on SIGTERM (NOT_SERVING first, then in-flight HTTP and gRPC calls get
`grace_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterator

import uvicorn

from gateway.frontdoors.app import create_app
from gateway.frontdoors.grpc_api import SERVICE_NAME, GatewayServicer, register
from gateway.frontdoors.ws_api import OpenSockets
from gateway.log_secrets import redact_secrets_in_logs
from gateway.settings import GatewaySettings
from gateway.state import Gateway
from services.common.server import ServiceSpec, load_internal_auth, run_service

log = logging.getLogger("gateway")


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling (the service runtime drains it), draining WebSockets first."""

    def __init__(self, config: uvicorn.Config, websockets: OpenSockets) -> None:
        super().__init__(config)
        self.websockets = websockets

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop listening, let WebSocket answers in flight finish and close them with 1001, then uvicorn's own
        shutdown (which would close them with 1012 at once) for the rest; all within the grace period."""
        for server in self.servers:
            server.close()
        started = time.monotonic()
        grace = float(self.config.timeout_graceful_shutdown or 0)
        await self.websockets.drain(grace)
        self.config.timeout_graceful_shutdown = max(1, int(grace - (time.monotonic() - started)))
        await super().shutdown(sockets)


class HttpCompanion:
    """The HTTP API (REST, WebSocket, OpenAI-compatible, /metrics) as the gRPC runtime's companion."""

    def __init__(self, config: uvicorn.Config, websockets: OpenSockets) -> None:
        self.server = _EmbeddedServer(config, websockets)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started and not self._task.done():  # noqa: ASYNC110 - uvicorn exposes a flag
            await asyncio.sleep(0.01)
        if not self.server.started:
            raise RuntimeError(f"cannot serve HTTP on {self.server.config.host}:{self.server.config.port}")

    async def stop(self, grace_seconds: float) -> None:
        """uvicorn finishes in-flight requests within its timeout_graceful_shutdown (set to the grace)."""
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    async def wait_closed(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._task)


def main() -> None:
    settings = GatewaySettings()

    def build() -> ServiceSpec:
        redact_secrets_in_logs()  # uvicorn logs WebSocket URLs, query string included
        gateway = Gateway(settings, load_internal_auth(settings))  # signs every internal call
        servicer = GatewayServicer(gateway)
        app = create_app(gateway)
        http = HttpCompanion(
            uvicorn.Config(
                app,
                host=settings.host,
                port=settings.http_port,
                log_config=None,
                access_log=False,
                ws_max_size=settings.max_body_bytes,
                timeout_keep_alive=int(settings.http_keep_alive_seconds),
                timeout_graceful_shutdown=int(settings.grace_seconds),
                lifespan="off",
            ),
            app.state.websockets,
        )
        return ServiceSpec(
            name="gateway",
            service_names=[SERVICE_NAME],
            register=lambda server: register(server, servicer),
            warmup=gateway.start,
            close=gateway.close,
            companion=http,
        )

    run_service("gateway", build, settings)


if __name__ == "__main__":
    main()
