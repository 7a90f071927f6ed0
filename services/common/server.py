"""The one way to run a persona-mesh gRPC service.

`run_service` starts a grpc.aio server with the standard health service
(NOT_SERVING until the service's warm-up finishes), server reflection, the
shared interceptors (which verify the gateway's signed tokens with the mesh's
internal secret: no secret, no start) and a Prometheus endpoint, then drains on SIGTERM/SIGINT:
health flips to NOT_SERVING, new calls are refused, in-flight calls get
`grace_seconds` to finish, and the process exits 0. A stop requested while the
service is still warming up cancels the warm-up instead of waiting for it.

A service with a second server in the same process (the gateway's HTTP API) gives
it as the spec's `companion`: it is listening before health reports SERVING,
drains together with the gRPC server, and stops the process if it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

from services.common.interceptors import ServerInterceptor
from services.common.internal_auth import InternalAuth, InternalAuthError
from services.common.logging import configure_logging
from services.common.metrics import start_metrics_server
from services.common.process_limits import limit_malloc_arenas, limit_native_threads, return_freed_memory
from services.common.settings import CommonSettings
from services.common.tracing import setup_tracing, shutdown_tracing

log = logging.getLogger(__name__)


async def _nothing() -> None:
    return None


class Companion(Protocol):
    """A second server run beside the gRPC one, on the same loop and lifecycle."""

    async def start(self) -> None:
        """Listening when it returns; raises when it cannot."""

    async def stop(self, grace_seconds: float) -> None:
        """Stop accepting, let in-flight work finish within `grace_seconds`."""

    async def wait_closed(self) -> None:
        """Returns when the companion stopped, on request or on its own."""


@dataclass
class ServiceSpec:
    """What a service plugs into the runtime."""

    # Short name: "abi", "embeddings", a persona's registry name, ... (also picks the default port).
    name: str
    # Fully qualified gRPC service names it serves, e.g. "personamesh.v1.AbiService".
    service_names: Sequence[str]
    # Adds the servicers to the server.
    register: Callable[[grpc.aio.Server], None]
    # Loads models, opens stores; the service reports SERVING only after it returns.
    warmup: Callable[[], Awaitable[None]] = _nothing
    # Releases resources after the server has stopped (flush, close stores).
    close: Callable[[], Awaitable[None]] = _nothing
    # Extra server options.
    options: list[tuple[str, int | str]] = field(default_factory=list)
    # A second server in the same process (the gateway's HTTP API), if any.
    companion: Companion | None = None


REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"


def enable_reflection(service_names: Sequence[str], server: grpc.aio.Server) -> None:
    """Server reflection as grpc.reflection.v1alpha and v1 (grpcurl, Postman and grpcui ask v1 first).

    grpcio-reflection serves only v1alpha; v1 is the same protocol (the same messages, field for field,
    under a newer package), so its servicer answers both names.
    """
    names = (*service_names, reflection.SERVICE_NAME, REFLECTION_V1)
    servicer = reflection.aio.ReflectionServicer(names)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    handler = grpc.method_handlers_generic_handler(REFLECTION_V1, {"ServerReflectionInfo": v1})
    server.add_generic_rpc_handlers((handler,))


class ServiceRuntime:
    """A running service: its server, health state and stop signal."""

    def __init__(self, spec: ServiceSpec, settings: CommonSettings, auth: InternalAuth) -> None:
        self.spec = spec
        self.settings = settings
        self.health = health.aio.HealthServicer()
        self.stopping = asyncio.Event()
        self.server = grpc.aio.server(
            interceptors=[ServerInterceptor(auth)],
            options=[
                ("grpc.max_receive_message_length", settings.max_message_bytes),
                ("grpc.max_send_message_length", settings.max_message_bytes),
                ("grpc.so_reuseport", 0),
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.min_ping_interval_without_data_ms", 5000),
                *spec.options,
            ],
        )
        self.port = 0

    async def set_serving(self, serving: bool) -> None:
        """Report the whole server and each of its services as (not) serving."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", *self.spec.service_names):
            await self.health.set(name, status)

    async def start(self) -> None:
        spec, settings = self.spec, self.settings
        await self.set_serving(False)
        if spec.companion is not None:
            await spec.companion.start()  # listening before health can report SERVING
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        spec.register(self.server)
        enable_reflection(
            (*spec.service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), self.server
        )
        address = f"{settings.host}:{settings.grpc_port(spec.name)}"
        self.port = self.server.add_insecure_port(address)
        if self.port == 0:
            raise RuntimeError(f"cannot bind {address}")
        await self.server.start()
        log.info("listening; warming up", extra={"address": address})
        start_metrics_server(settings.prometheus_port(spec.name), settings.host)
        await spec.warmup()
        await self.set_serving(True)
        log.info("serving", extra={"address": address})

    async def drain(self) -> None:
        """NOT_SERVING first, then refuse new calls and let in-flight ones finish."""
        log.info("draining", extra={"grace_seconds": self.settings.grace_seconds})
        await self.health.enter_graceful_shutdown()
        if self.settings.drain_delay_seconds > 0:
            await asyncio.sleep(self.settings.drain_delay_seconds)
        grace = self.settings.grace_seconds
        companion = self.spec.companion
        await asyncio.gather(self.server.stop(grace), companion.stop(grace) if companion else _nothing())
        await self.spec.close()
        log.info("stopped")

    async def _stop_requested(self) -> None:
        await self.stopping.wait()

    async def run_until_stopped(self) -> None:
        """Start, serve until a stop is requested (or the companion dies), drain.

        A stop requested during start-up cancels the warm-up: a service that was never SERVING has
        nothing in flight, and waiting for a model to load only delays the stop.
        """
        starting = asyncio.create_task(self.start())
        stop = asyncio.create_task(self._stop_requested())
        try:
            await asyncio.wait({starting, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                log.info("stop requested during start-up")
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
            else:
                starting.result()  # start-up failures propagate
                watched = {stop}
                if self.spec.companion is not None:
                    watched.add(asyncio.create_task(self.spec.companion.wait_closed()))
                await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                for task in watched:
                    task.cancel()
        finally:
            stop.cancel()
        await self.drain()


class StopSignals:
    """SIGTERM and SIGINT, for the whole life of the process, as one asyncio.Event.

    Not `loop.add_signal_handler`: closing the loop restores SIG_DFL, so a repeated
    signal between the end of the drain and exit killed a clean drain (exit -15).
    This handler is installed before the loop starts; the first signal starts the
    drain and replaces it by SIG_IGN (`ignore`), so repeats do nothing until exit.
    Like asyncio, it wakes the loop through `signal.set_wakeup_fd`, because a signal
    may land on one of grpc's threads while the loop sleeps.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.requested = False
        self._ignoring = False

    def install(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, self._handle)

    def ignore(self) -> None:
        """For after the loop: Python's own finalisation restores SIG_DFL for handlers, not for SIG_IGN."""
        for signum in self.SIGNALS:
            signal.signal(signum, signal.SIG_IGN)

    @contextlib.asynccontextmanager
    async def watch(self, event: asyncio.Event) -> AsyncIterator[None]:
        """Set `event` on the first signal, including one that came before (during build or warm-up)."""
        loop = asyncio.get_running_loop()
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)

        def woken() -> None:
            with contextlib.suppress(OSError):
                reader.recv(4096)
            if self.requested:
                event.set()

        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        loop.add_reader(reader.fileno(), woken)
        if self.requested:
            event.set()
        try:
            yield
        finally:
            loop.remove_reader(reader.fileno())
            signal.set_wakeup_fd(previous)
            reader.close()
            writer.close()

    def _handle(self, signum: int, frame: object) -> None:
        # The wakeup fd does the rest on the loop's side. From the first signal on the kernel drops the
        # repeats: a Python handler run once per signal of a flood nests in itself (each run can be
        # interrupted by the next) until RecursionError, which ended a clean drain with exit 1. `signal.signal`
        # is Python code too, so a flood arriving while the first run installs SIG_IGN nested there as well:
        # a run that finds one already installing returns at once.
        self.requested = True
        if self._ignoring:
            return
        self._ignoring = True
        self.ignore()


async def serve(
    spec: ServiceSpec, settings: CommonSettings, auth: InternalAuth, signals: StopSignals | None = None
) -> None:
    """Run until SIGTERM or SIGINT, then drain."""
    runtime = ServiceRuntime(spec, settings, auth)
    if signals is None:
        signals = StopSignals()
        signals.install()
    async with signals.watch(runtime.stopping):
        try:
            await runtime.run_until_stopped()
        except BaseException:
            log.exception("start-up failed")
            await runtime.server.stop(0)
            if spec.companion is not None:
                await spec.companion.stop(0)
            await spec.close()
            raise


def run_service(name: str, build: Callable[[], ServiceSpec], settings: CommonSettings) -> None:
    """Process entry point: configure logging, build the service, serve, exit 0 after a clean drain.

    `build` runs inside the event loop, so servicers may create asyncio objects and channels.
    Without the mesh's internal secret the process exits 1 at once, before building anything.
    """
    limit_malloc_arenas(settings.malloc_arenas)  # before any thread starts
    configure_logging(name, settings.log_level)
    limit_native_threads(settings.native_threads)
    return_freed_memory(settings.memory_trim_seconds)
    setup_tracing(name)  # off unless PM_TRACING is set; before any gRPC server or channel exists
    auth = load_internal_auth(settings)
    signals = StopSignals()
    signals.install()  # before the loop exists, and never uninstalled: see StopSignals
    try:
        asyncio.run(_build_and_serve(build, settings, auth, signals))
    except Exception:
        log.exception("the service ended with an error")
        sys.exit(1)
    finally:
        signals.ignore()
        shutdown_tracing()
    sys.exit(0)


def load_internal_auth(settings: CommonSettings) -> InternalAuth:
    """The process's token verifier; logs why and exits 1 when the internal secret is missing or unusable."""
    try:
        return InternalAuth.from_settings(settings)
    except InternalAuthError as error:
        log.error("cannot start: %s", error)
        sys.exit(1)


async def _build_and_serve(
    build: Callable[[], ServiceSpec], settings: CommonSettings, auth: InternalAuth, signals: StopSignals
) -> None:
    try:
        spec = build()
    except Exception:
        log.exception("cannot build the service")  # a bad registry or setting: say why before exiting 1
        raise
    await serve(spec, settings, auth, signals)
