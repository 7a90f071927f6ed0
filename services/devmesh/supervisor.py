"""The local supervisor's policy: a service that dies is restarted, with backoff, and the rest keep serving.

One dead replica is what the gateway's failover is built for, so `make run` must not turn it into an
outage by stopping everything. Only a service that keeps crashing (`max_crashes` within
`window_seconds`) stops the mesh: restarting it forever would hide a real fault behind a log that
scrolls by.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.devmesh.processes import ServiceProcess, health_status
from services.devmesh.topology import MeshLayout


@dataclass
class CrashPolicy:
    """When to restart a crashed service, and when to give up on it."""

    max_crashes: int = 5
    window_seconds: float = 60.0
    first_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 10.0
    _crashes: dict[str, deque[float]] = field(default_factory=dict)

    def crashed(self, name: str, now: float) -> float | None:
        """Record a crash: the delay before the restart (doubling with each recent crash), or None to give up."""
        recent = self._crashes.setdefault(name, deque())
        recent.append(now)
        while recent and now - recent[0] > self.window_seconds:
            recent.popleft()
        if len(recent) >= self.max_crashes:
            return None
        return float(min(self.first_backoff_seconds * 2 ** (len(recent) - 1), self.max_backoff_seconds))

    def recent(self, name: str) -> int:
        return len(self._crashes.get(name, ()))


class Supervisor:
    """Keeps every process of a started mesh running; `tick` is called from the supervisor's loop."""

    def __init__(
        self,
        layout: MeshLayout,
        logs: Path,
        processes: list[ServiceProcess],
        policy: CrashPolicy | None = None,
        say: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.layout = layout
        self.logs = logs
        self.processes = {proc.name: proc for proc in processes}
        self.policy = policy or CrashPolicy()
        self._say = say
        self._clock = clock
        self._due: dict[str, float] = {}  # name -> when to restart it
        self._recovering: set[str] = set()  # restarted, not SERVING yet

    def tick(self) -> str | None:
        """Notice deaths, restart what is due, report recoveries; a reason to stop everything, or None."""
        now = self._clock()
        for name, proc in self.processes.items():
            if name in self._due or proc.alive():
                continue
            code = proc.wait_exit(0)  # reap it and close its log
            self._recovering.discard(name)
            delay = self.policy.crashed(name, now)
            if delay is None:
                return (
                    f"{name} exited with {code} and keeps crashing ({self.policy.max_crashes} crashes in "
                    f"{self.policy.window_seconds:.0f} s); stopping the mesh ({proc.log_hint()})"
                )
            self._say(
                f"{name} exited with {code}; restarting it in {delay:.1f} s (crash {self.policy.recent(name)}"
                f" of {self.policy.max_crashes} allowed in {self.policy.window_seconds:.0f} s; {proc.log_hint()})"
            )
            self._due[name] = now + delay
        for name, due in list(self._due.items()):
            if now >= due:
                del self._due[name]
                proc = self.layout.process(name, self.logs)
                proc.start()
                self.processes[name] = proc
                self._recovering.add(name)
                self._say(f"{name} restarted (pid {proc.pid})")
        for name in list(self._recovering):
            proc = self.processes[name]
            if proc.alive() and health_status(proc.target, timeout=0.2) == "SERVING":
                self._recovering.discard(name)
                self._say(f"{name} is SERVING again")
        return None

    def running(self) -> list[ServiceProcess]:
        """Every process, in start order (the order they are stopped in reverse)."""
        return list(self.processes.values())
