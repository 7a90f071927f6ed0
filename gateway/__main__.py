"""`python -m gateway`: one process, two ports — gRPC (GatewayService, health, reflection) and HTTP (uvicorn).

Both servers share one asyncio loop. SIGTERM drains both: health goes
NOT_SERVING, HTTP stops accepting and finishes in-flight requests, the gRPC
server gives in-flight calls `grace_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator

import uvicorn

from gateway.app import create_app
from gateway.grpc_api import SERVICE_NAME, GatewayServicer, register
from gateway.log_secrets import redact_secrets_in_logs
from gateway.settings import GatewaySettings
from gateway.state import Gateway
from services.common.internal_auth import InternalAuth
from services.common.logging import configure_logging
from services.common.server import ServiceRuntime, ServiceSpec, load_internal_auth

log = logging.getLogger("gateway")


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the gateway drains both servers itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: GatewaySettings, auth: InternalAuth) -> None:
    gateway = Gateway(settings, auth)
    servicer = GatewayServicer(gateway)
    spec = ServiceSpec(
        name="gateway",
        service_names=[SERVICE_NAME],
        register=lambda server: register(server, servicer),
        warmup=gateway.start,
        close=gateway.close,
    )
    runtime = ServiceRuntime(spec, settings, auth)
    http = _EmbeddedServer(
        uvicorn.Config(
            create_app(gateway),
            host=settings.host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            ws_max_size=settings.max_body_bytes,
            timeout_keep_alive=int(settings.http_keep_alive_seconds),
            timeout_graceful_shutdown=int(settings.grace_seconds),
            lifespan="off",
        )
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runtime.stopping.set)
    # HTTP first, so that it is listening by the time gRPC health reports SERVING.
    http_task = asyncio.create_task(http.serve())
    while not http.started and not http_task.done():  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.01)
    if not http.started:
        await gateway.close()
        raise RuntimeError(f"cannot serve HTTP on {settings.host}:{settings.http_port}")
    try:
        await runtime.start()
    except BaseException:
        log.exception("start-up failed")
        http.should_exit = True
        await runtime.server.stop(0)
        await gateway.close()
        raise
    stop_task = asyncio.create_task(runtime.stopping.wait())
    await asyncio.wait({http_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    stop_task.cancel()
    # Drain both servers at once: NOT_SERVING first, then in-flight HTTP and gRPC calls get the grace period.
    log.info("draining", extra={"grace_seconds": settings.grace_seconds})
    await runtime.health.enter_graceful_shutdown()
    if settings.drain_delay_seconds > 0:
        await asyncio.sleep(settings.drain_delay_seconds)
    http.should_exit = True
    await asyncio.gather(http_task, runtime.server.stop(settings.grace_seconds), return_exceptions=True)
    await gateway.close()
    log.info("stopped")


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    redact_secrets_in_logs()  # uvicorn logs WebSocket URLs, query string included
    auth = load_internal_auth(settings)  # signs every internal call; no secret, no start
    try:
        asyncio.run(serve(settings, auth))
    except Exception:
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
