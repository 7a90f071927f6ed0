"""Choosing a replica of a persona.

Score = route score x health weight x latency factor / (in-flight + 1). The
latency factor compares a replica's latency EMA with the fastest candidate's,
(fastest + 5 ms) / (own + 5 ms): the original's 1 / (1 + seconds) barely tells
100 ms from 150 ms, which is exactly the difference that matters. "weighted" (the
default) takes the best score: in-flight counts change at once inside one gateway,
so it does not herd, and `make bench` measured it best with one slow replica (p99
63 ms against 418 ms for p2c and 1.5 s for round robin). "p2c" compares two random
available replicas on that score: the safer choice when many gateway replicas, each
with its own view of in-flight counts, share few persona replicas. "round_robin"
ignores load and latency (the baseline in the benchmark).
A replica whose open breaker has waited its reset timeout is tried first: that
one half-open probe is how it gets back into rotation.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Collection

from gateway.upstream.registry import PersonaGroup
from gateway.upstream.replica import Replica

# Health weights: serving 1; not yet known 0.1 (try it last). Down or open breaker: out of rotation.
HEALTH_WEIGHT = {"SERVING": 1.0, "UNKNOWN": 0.1}
DEGRADED_LATENCY_MS = 1000.0


LATENCY_FLOOR_MS = 5.0


def replica_score(replica: Replica, route_score: float = 1.0, fastest_ms: float = 0.0) -> float:
    weight = HEALTH_WEIGHT.get(replica.health, 0.0)
    latency = replica.recent_latency_ms()
    if latency > DEGRADED_LATENCY_MS:
        weight *= 0.5
    latency_factor = (fastest_ms + LATENCY_FLOOR_MS) / (latency + LATENCY_FLOOR_MS)
    return route_score * weight * latency_factor / (replica.in_flight + 1)


class Balancer:
    """Picks one available replica of a persona group, skipping those already tried."""

    def __init__(self, strategy: str, rng: random.Random | None = None) -> None:
        if strategy not in ("p2c", "weighted", "round_robin"):
            raise ValueError(f"unknown balancer strategy {strategy!r}")
        self.strategy = strategy
        self._rng = rng or random.Random()
        self._turns: dict[str, itertools.count[int]] = {}

    def pick(self, group: PersonaGroup, exclude: Collection[str] = ()) -> Replica | None:
        candidates = [r for r in group.replicas.values() if r.address not in exclude and r.available]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        probes = [r for r in candidates if r.probing]
        if probes:
            return probes[0]  # its breaker's reset timeout has passed: one call finds out whether it recovered
        if self.strategy == "round_robin":
            turn = next(self._turns.setdefault(group.name, itertools.count()))
            ordered = sorted(candidates, key=lambda r: r.address)
            return ordered[turn % len(ordered)]
        weight = group.config.weight
        if self.strategy == "p2c":
            first, second = self._rng.sample(candidates, 2)
            fastest = min(first.recent_latency_ms(), second.recent_latency_ms())
            return first if replica_score(first, weight, fastest) >= replica_score(second, weight, fastest) else second
        fastest = min(r.recent_latency_ms() for r in candidates)
        scored = [(replica_score(r, weight, fastest), r) for r in candidates]
        best = max(score for score, _ in scored)
        return self._rng.choice([r for score, r in scored if score == best])
