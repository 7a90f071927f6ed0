"""The replica registry: which personas the gateway serves and where their replicas run.

Personas come from the persona registry file (services/common/registry) and from the config API at
run time. Replicas come from settings (a static list, the registry's local ports by default), from
DNS (a Kubernetes headless service, re-resolved periodically) or from the config API. Every replica
is watched with grpc.health.v1 Watch, probed with a deadline, and has its own breaker and outlier state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.upstream.outlier import OutlierPolicy
from gateway.upstream.replica import ProbePolicy, Replica, is_caller_error
from personamesh.v1 import persona_service_pb2
from services.common.breaker import AsyncCircuitBreaker
from services.common.registry import PersonaEntry

log = logging.getLogger(__name__)


@dataclass
class PersonaConfig:
    """Runtime settings of one persona, changed through the config API."""

    enabled: bool = True
    # Multiplies the persona's replica scores; lets operators shift load.
    weight: float = 1.0
    # Overrides the caller's temperature when set.
    temperature: float | None = None


@dataclass
class PersonaGroup:
    name: str
    # The registry entry (from the file, or registered through the config API).
    entry: PersonaEntry | None = None
    replicas: dict[str, Replica] = field(default_factory=dict)
    config: PersonaConfig = field(default_factory=PersonaConfig)
    info: persona_service_pb2.PersonaInfo | None = None
    # "file" (the registry file) or "api" (registered at run time; may be deregistered).
    source: str = "file"

    @property
    def fallback(self) -> tuple[str, ...]:
        return self.entry.fallback if self.entry else ()

    def healthy(self) -> list[Replica]:
        return [r for r in self.replicas.values() if r.in_rotation]

    def status(self) -> str:
        healthy = len(self.healthy())
        if not self.config.enabled:
            return "disabled"
        if healthy == 0:
            return "down"
        return "healthy" if healthy == len(self.replicas) else "degraded"


@dataclass(frozen=True)
class BreakerPolicy:
    fail_max: int
    reset_seconds: float
    success_threshold: int


class Registry:
    """Personas and their replicas; owns every replica's channel and watch."""

    def __init__(
        self,
        *,
        health_interval: float,
        breaker: BreakerPolicy,
        probe: ProbePolicy | None = None,
        outlier: OutlierPolicy | None = None,
        on_breaker_change: Callable[[str, str, str], None] | None = None,
        on_health_change: Callable[[Replica], None] | None = None,
    ) -> None:
        self.health_interval = health_interval
        self.breaker_policy = breaker
        self.probe_policy = probe or ProbePolicy()
        self.outlier_policy = outlier or OutlierPolicy()
        self.personas: dict[str, PersonaGroup] = {}
        self._on_breaker_change = on_breaker_change
        self._on_health_change = on_health_change
        self._dns_tasks: list[asyncio.Task[None]] = []
        self._started = False

    def group(self, persona: str) -> PersonaGroup | None:
        return self.personas.get(persona)

    def declare(self, persona: str, entry: PersonaEntry | None = None, source: str = "file") -> PersonaGroup:
        """Make a persona known (with no replicas yet); a known one keeps its replicas and gets the new entry."""
        group = self.personas.setdefault(persona, PersonaGroup(persona, source=source))
        if entry is not None:
            group.entry = entry
            group.info = None
        return group

    async def forget(self, persona: str) -> bool:
        """Deregister a persona: close its replicas' channels and watches and drop it."""
        group = self.personas.pop(persona, None)
        if group is None:
            return False
        log.info("persona deregistered", extra={"persona": persona})
        await asyncio.gather(*(replica.close() for replica in group.replicas.values()))
        return True

    def add(self, persona: str, address: str, source: str = "static") -> Replica:
        """Register a replica; adding a known one returns it unchanged."""
        group = self.declare(persona)
        existing = group.replicas.get(address)
        if existing is not None:
            return existing
        policy = self.breaker_policy
        breaker = AsyncCircuitBreaker(
            f"{persona}@{address}",
            fail_max=policy.fail_max,
            reset_timeout=policy.reset_seconds,
            success_threshold=policy.success_threshold,
            exclude=[is_caller_error],
            on_state_change=self._on_breaker_change,
        )
        replica = Replica(
            persona,
            address,
            source=source,
            health_interval=self.health_interval,
            breaker=breaker,
            probe=self.probe_policy,
            outlier=self.outlier_policy,
            on_health_change=self._on_health_change,
            may_eject=lambda: self.may_eject(persona),
        )
        group.replicas[address] = replica
        if self._started:
            replica.start_watch()
        log.info("replica registered", extra={"persona": persona, "replica": address, "source": source})
        return replica

    def may_eject(self, persona: str) -> bool:
        """Whether one more replica of `persona` may be ejected (OutlierPolicy.max_ejection_percent)."""
        group = self.personas.get(persona)
        if group is None:
            return True
        ejected = sum(replica.ejected for replica in group.replicas.values())
        return self.outlier_policy.may_eject(ejected, len(group.replicas))

    async def remove(self, persona: str, address: str) -> bool:
        group = self.personas.get(persona)
        replica = group.replicas.pop(address, None) if group else None
        if replica is None:
            return False
        log.info("replica deregistered", extra={"persona": persona, "replica": address})
        await replica.close()
        return True

    def all_replicas(self) -> list[Replica]:
        return [r for g in self.personas.values() for r in g.replicas.values()]

    # -- discovery ---------------------------------------------------------------

    def add_static(self, replicas: dict[str, list[str]]) -> None:
        for persona, addresses in replicas.items():
            self.declare(persona)
            for address in addresses:
                self.add(persona, address, "static")

    def add_dns(self, services: dict[str, str], refresh_seconds: float) -> None:
        for persona, target in services.items():
            self.declare(persona)
            self._dns_tasks.append(asyncio.create_task(self._follow_dns(persona, target, refresh_seconds)))

    async def _follow_dns(self, persona: str, target: str, refresh_seconds: float) -> None:
        """Keep the replicas of `persona` equal to the addresses `target` (host:port) resolves to."""
        host, _, port = target.rpartition(":")
        loop = asyncio.get_running_loop()
        while True:
            try:
                infos = await loop.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
                found = {f"{info[4][0]}:{port}" for info in infos}
                group = self.declare(persona)
                for address in found - set(group.replicas):
                    self.add(persona, address, "dns")
                for address, replica in list(group.replicas.items()):
                    if replica.source == "dns" and address not in found:
                        await self.remove(persona, address)
            except (OSError, ValueError) as error:
                log.warning("DNS lookup failed", extra={"persona": persona, "target": target, "error": str(error)})
            await asyncio.sleep(refresh_seconds)

    def start(self) -> None:
        self._started = True
        for replica in self.all_replicas():
            replica.start_watch()

    async def close(self) -> None:
        for task in self._dns_tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.gather(*(r.close() for r in self.all_replicas()))
