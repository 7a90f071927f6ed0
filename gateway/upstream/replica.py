"""One persona replica: its channel, breaker, health and load figures.

Its channel (gateway.channels) reconnects within one health interval and never
retries: the gateway falls back to another replica itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.upstream.channels import CALLER_CODES, replica_channel
from personamesh.v1 import persona_service_pb2_grpc
from services.common.breaker import OPEN, AsyncCircuitBreaker

log = logging.getLogger(__name__)

LATENCY_EMA_ALPHA = 0.2
LATENCY_HALF_LIFE_S = 10.0


def is_caller_error(error: BaseException) -> bool:
    """Not the replica's fault: the request was bad, or the caller went away mid-stream."""
    if isinstance(error, GeneratorExit):
        return True
    return isinstance(error, grpc.RpcError) and error.code() in CALLER_CODES


class Replica:
    """A replica of one persona, watched through grpc.health.v1 Watch."""

    def __init__(
        self,
        persona: str,
        address: str,
        *,
        source: str,
        health_interval: float,
        breaker: AsyncCircuitBreaker,
        on_health_change: Callable[[Replica], None] | None = None,
    ) -> None:
        self.persona = persona
        self.address = address
        self.source = source
        self.health_interval = health_interval
        self.channel = replica_channel(address, health_interval)
        self.stub = persona_service_pb2_grpc.PersonaServiceStub(self.channel)
        self.breaker = breaker
        # "UNKNOWN" until the first health answer, then "SERVING", "NOT_SERVING" or "UNREACHABLE".
        self.health = "UNKNOWN"
        self.in_flight = 0
        self.latency_ema_ms: float | None = None
        self.latency_updated = 0.0
        self.requests = 0
        self.failures = 0
        self._on_health_change = on_health_change
        self._watch_task: asyncio.Task[None] | None = None

    # -- load figures -------------------------------------------------------

    def started(self) -> float:
        self.in_flight += 1
        self.requests += 1
        return time.perf_counter()

    def finished(self, started: float, ok: bool) -> None:
        self.in_flight -= 1
        if not ok:
            self.failures += 1
            return
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        ema = self.latency_ema_ms
        self.latency_ema_ms = elapsed_ms if ema is None else ema + LATENCY_EMA_ALPHA * (elapsed_ms - ema)
        self.latency_updated = time.monotonic()

    def recent_latency_ms(self) -> float:
        """The latency EMA, fading (half-life LATENCY_HALF_LIFE_S) while the replica gets no traffic.

        Without the fade, a replica that was slow once would never be chosen again
        and so never show that it has recovered.
        """
        if self.latency_ema_ms is None:
            return 0.0
        age = time.monotonic() - self.latency_updated
        return self.latency_ema_ms * 0.5 ** (age / LATENCY_HALF_LIFE_S)

    @property
    def probing(self) -> bool:
        """Its breaker is not closed but would let one probe call through now."""
        return self.breaker.state != "closed" and self.breaker.allows_call()

    @property
    def available(self) -> bool:
        """In rotation: not known to be down and its breaker would let a call through."""
        return self.health in ("SERVING", "UNKNOWN") and self.breaker.allows_call()

    def snapshot(self) -> dict[str, object]:
        return {
            "address": self.address,
            "source": self.source,
            "health": self.health,
            "breaker": self.breaker.state,
            "in_flight": self.in_flight,
            "latency_ema_ms": None if self.latency_ema_ms is None else round(self.latency_ema_ms, 3),
            "requests": self.requests,
            "failures": self.failures,
        }

    # -- health watch -------------------------------------------------------

    def _set_health(self, health: str) -> None:
        if health == self.health:
            return
        previous, self.health = self.health, health
        log.info("replica health", extra={"replica": self.address, "persona": self.persona, "health": health})
        if health == "SERVING" and previous != "UNKNOWN":
            # Back from an outage: its latency figure is stale, and its breaker may close at once.
            self.latency_ema_ms = None
            if self.breaker.state == OPEN:
                self.breaker.reset()
        if self._on_health_change:
            self._on_health_change(self)

    async def _watch(self) -> None:
        stub = health_pb2_grpc.HealthStub(self.channel)
        request = health_pb2.HealthCheckRequest(service="")
        while True:
            call = stub.Watch(request)
            try:
                async for reply in call:
                    if reply.status != health_pb2.HealthCheckResponse.SERVING:
                        # Hang up: a draining replica waits for open calls, this watch included.
                        self._set_health("NOT_SERVING")
                        break
                    self._set_health("SERVING")
                else:
                    self._set_health("UNREACHABLE")
            except grpc.RpcError:
                self._set_health("UNREACHABLE")
            finally:
                call.cancel()
            await asyncio.sleep(self.health_interval)

    def start_watch(self) -> None:
        if self._watch_task is None:
            self._watch_task = asyncio.create_task(self._watch(), name=f"watch {self.address}")

    async def close(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch_task
        await self.channel.close()
