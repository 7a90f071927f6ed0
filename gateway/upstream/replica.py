"""One persona replica: its channel, breaker, health, outlier state and load figures.

Its channel (gateway.channels) reconnects within one health interval and never
retries: the gateway falls back to another replica itself. Two health signals: a
grpc.health.v1 Watch (at once when a replica drains or its connection drops) and
active probes, Check calls with a deadline every probe interval (the only way to
notice a replica that hangs with its port open: the watch just stays quiet). A
probe that times out counts as a failure for outlier detection (outlier.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gateway.upstream.channels import CALLER_CODES, replica_channel
from gateway.upstream.outlier import OutlierDetector, OutlierPolicy
from personamesh.v1 import persona_service_pb2_grpc
from services.common.breaker import OPEN, AsyncCircuitBreaker

log = logging.getLogger(__name__)

# The latency estimate rises with alpha 0.2 (one slow answer does not condemn a replica) and falls with
# 0.5 (a replica answering well again is believed within a few answers); without traffic it halves every
# LATENCY_HALF_LIFE_S, so a replica the balancer stopped choosing because it was slow is tried again.
LATENCY_ALPHA_UP = 0.2
LATENCY_ALPHA_DOWN = 0.5
LATENCY_HALF_LIFE_S = 2.0


def is_caller_error(error: BaseException) -> bool:
    """Not the replica's fault: the request was bad, or the caller went away mid-stream."""
    if isinstance(error, GeneratorExit | asyncio.CancelledError):
        return True
    return isinstance(error, grpc.RpcError) and error.code() in CALLER_CODES


@dataclass(eq=False)
class Attempt:
    """One call on a replica: when it began (perf_counter for its latency, monotonic for stalls)."""

    began: float = field(default_factory=time.perf_counter)
    began_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class ProbePolicy:
    interval_seconds: float = 1.0
    timeout_seconds: float = 0.5


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
        probe: ProbePolicy | None = None,
        outlier: OutlierPolicy | None = None,
        on_health_change: Callable[[Replica], None] | None = None,
        may_eject: Callable[[], bool] = lambda: True,
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
        self._attempts: set[Attempt] = set()
        self.last_heard = 0.0  # monotonic time of the replica's last answer or stream delta
        self.latency_ema_ms: float | None = None
        self.latency_updated = 0.0  # monotonic time of the last call answered in time (its latency sample)
        self.requests = 0
        self.failures = 0
        self.probe = probe or ProbePolicy()
        self.outlier = OutlierDetector(outlier or OutlierPolicy())
        # When the replica last proved responsive (a probe answered SERVING in time, or a call was answered);
        # None while the last probe failed.
        self.probe_ok_at: float | None = None
        self._on_health_change = on_health_change
        self._may_eject = may_eject  # its persona's limit on ejected replicas (Registry)
        self._tasks: list[asyncio.Task[None]] = []

    # -- load figures -------------------------------------------------------

    def started(self) -> Attempt:
        self.in_flight += 1
        self.requests += 1
        attempt = Attempt()
        self._attempts.add(attempt)
        return attempt

    def heard(self) -> None:
        """The replica sent a stream delta: it is making progress."""
        self.last_heard = time.monotonic()

    def finished(self, attempt: Attempt, error: BaseException | None) -> None:
        """A call ended: in time (`error` None), through the replica's fault, or the caller's (counts neither way).

        Only answers feed the latency estimate: a call cut at a timeout measured the timeout, not the replica.
        """
        self.in_flight -= 1
        self._attempts.discard(attempt)
        if error is not None:
            if not is_caller_error(error):
                self.failures += 1
                self.failed(f"{type(error).__name__}: {error}")
            return
        elapsed_ms = (time.perf_counter() - attempt.began) * 1000.0
        ema = self._faded_latency_ms() if self.latency_ema_ms is not None else None
        if ema is None:
            self.latency_ema_ms = elapsed_ms
        else:
            alpha = LATENCY_ALPHA_UP if elapsed_ms > ema else LATENCY_ALPHA_DOWN
            self.latency_ema_ms = ema + alpha * (elapsed_ms - ema)
        self.latency_updated = self.probe_ok_at = self.last_heard = time.monotonic()
        self.outlier.success(probe=False)

    def _faded_latency_ms(self) -> float:
        """The latency estimate, fading (half-life LATENCY_HALF_LIFE_S) while the replica gets no traffic.

        Without the fade, a replica that was slow once would never be chosen again
        and so never show that it has recovered.
        """
        if self.latency_ema_ms is None:
            return 0.0
        age = time.monotonic() - self.latency_updated
        return self.latency_ema_ms * 0.5 ** (age / LATENCY_HALF_LIFE_S)

    def stalled_ms(self) -> float:
        """How long the replica has sent nothing while it owes an answer (0 when idle).

        Measured from its last answer or delta, or from its oldest call in flight if that began later:
        a busy, healthy replica sends something every few milliseconds, so only silence counts, not
        the age of calls that are merely queued (that would count its load twice: in-flight is scored).
        """
        if not self._attempts:
            return 0.0
        oldest = min(a.began_at for a in self._attempts)
        return (time.monotonic() - max(self.last_heard, oldest)) * 1000.0

    def recent_latency_ms(self) -> float:
        """What the balancer expects a call to cost: the fading estimate, or longer while the replica is silent.

        Answers only arrive from a replica that answers: a hung one (SIGSTOP, a wedged process) keeps its
        last, good estimate, and once its hung calls time out it even looks idle, so new calls would keep
        going to it until the probes eject it. Its silence while it owes answers is the first sign; as in
        latency-aware balancers that score outstanding work (C3, Prequal), it counts before any answer does.
        """
        return max(self._faded_latency_ms(), self.stalled_ms())

    # -- outlier detection --------------------------------------------------

    @property
    def ejected(self) -> bool:
        return self.outlier.ejected

    def failed(self, why: str) -> None:
        """A call or probe timed out or failed through the replica's fault."""
        seconds = self.outlier.failure(self._may_eject())
        if seconds is not None:
            log.warning(
                "replica ejected",
                extra={"replica": self.address, "persona": self.persona, "seconds": seconds, "why": why},
            )
            if self._on_health_change:
                self._on_health_change(self)

    def _readmit_on_probe(self) -> None:
        if self.outlier.success(probe=True):
            # Its figures from before the ejection say nothing about it now; an open breaker need not wait
            # out its reset time: the next call is its half-open probe.
            self.latency_ema_ms = None
            self.breaker.half_open()
            log.info("replica re-admitted", extra={"replica": self.address, "persona": self.persona})
            if self._on_health_change:
                self._on_health_change(self)

    def responsive(self) -> bool:
        """Answering its probes in time right now: in rotation, and its last probe was SERVING and recent.

        A stream waiting on a replica that is not responsive gives up after the short first-token or
        chunk timeout; one waiting on a responsive replica (a slow model, not a hung process) may wait longer.
        """
        if self.ejected or self.probe_ok_at is None:
            return False
        return time.monotonic() - self.probe_ok_at <= self.probe.interval_seconds + self.probe.timeout_seconds

    @property
    def probing(self) -> bool:
        """Its breaker is not closed but would let one probe call through now."""
        return self.breaker.state != "closed" and self.breaker.allows_call()

    @property
    def available(self) -> bool:
        """In rotation: not known to be down, not ejected, and its breaker would let a call through."""
        return self.health in ("SERVING", "UNKNOWN") and not self.ejected and self.breaker.allows_call()

    @property
    def in_rotation(self) -> bool:
        """Serving and not ejected (what the health endpoints and metrics count as healthy)."""
        return self.health == "SERVING" and not self.ejected

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
            **self.outlier.snapshot(),
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

    async def probe_once(self) -> None:
        """One Check with a deadline: SERVING in time re-admits, a timeout or error counts as a failure."""
        stub = health_pb2_grpc.HealthStub(self.channel)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=self.probe.timeout_seconds)
        except grpc.RpcError as error:
            self.probe_ok_at = None
            if error.code() == grpc.StatusCode.UNAVAILABLE:
                self._set_health("UNREACHABLE")  # no connection: down, which health says, not an outlier
            else:
                self.failed(f"health probe: {error.code().name}")
            return
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            self.probe_ok_at = None
            self._set_health("NOT_SERVING")
            return
        self.probe_ok_at = time.monotonic()
        self._set_health("SERVING")
        self._readmit_on_probe()

    async def _probe(self) -> None:
        """A probe whenever the replica has answered nothing for a probe interval. An answer in time is as good
        as a passing probe, so a replica under traffic is not probed (Envoy's outlier detection is passive
        for the same reason); a hung one answers nothing and is probed one interval after its last answer."""
        interval = self.probe.interval_seconds
        while True:
            quiet_for = time.monotonic() - self.latency_updated
            if quiet_for < interval:
                await asyncio.sleep(interval - quiet_for)
                continue
            began = time.monotonic()
            await self.probe_once()
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))

    def start_watch(self) -> None:
        """Start the health watch and the probes."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._watch(), name=f"watch {self.address}"),
                asyncio.create_task(self._probe(), name=f"probe {self.address}"),
            ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.channel.close()
