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

Session affinity (on by default): the turns of one session go to the same replica
while it is available and not overloaded, because a persona keeps a session's state
in its own memory (Abbey's mood and the sentences she already said); spread at
random, one conversation's turns met their state or not by chance. The replica is
chosen by rendezvous hashing (highest random weight: when a replica leaves, only
its sessions move) with bounded load (consistent hashing with bounded loads,
Mirrokni, Thorup and Zadimoghaddam 2018): a preferred replica with more than
`AFFINITY_LOAD_FACTOR` x the group's mean in-flight calls (+1) is passed over for
the next in the session's order, so one busy session cannot pin a replica.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Collection

from gateway.upstream.registry import PersonaGroup
from gateway.upstream.replica import Replica

# Health weights: serving 1; not yet known 0.1 (try it last). Down or open breaker: out of rotation.
HEALTH_WEIGHT = {"SERVING": 1.0, "UNKNOWN": 0.1}
DEGRADED_LATENCY_MS = 1000.0


LATENCY_FLOOR_MS = 5.0
AFFINITY_LOAD_FACTOR = 1.5


def replica_score(replica: Replica, route_score: float = 1.0, fastest_ms: float = 0.0) -> float:
    weight = HEALTH_WEIGHT.get(replica.health, 0.0)
    latency = replica.recent_latency_ms()
    if latency > DEGRADED_LATENCY_MS:
        weight *= 0.5
    latency_factor = (fastest_ms + LATENCY_FLOOR_MS) / (latency + LATENCY_FLOOR_MS)
    return route_score * weight * latency_factor / (replica.in_flight + 1)


class Balancer:
    """Picks one available replica of a persona group, skipping those already tried."""

    def __init__(self, strategy: str, rng: random.Random | None = None, *, session_affinity: bool = True) -> None:
        if strategy not in ("p2c", "weighted", "round_robin"):
            raise ValueError(f"unknown balancer strategy {strategy!r}")
        self.strategy = strategy
        self.session_affinity = session_affinity
        self._rng = rng or random.Random()
        self._turns: dict[str, itertools.count[int]] = {}

    def pick(self, group: PersonaGroup, exclude: Collection[str] = (), session: str = "") -> Replica | None:
        """A replica of `group` not in `exclude`; `session` (user and session id, "" for none) keeps a conversation's
        turns on one replica (see the module docstring)."""
        candidates = [r for r in group.replicas.values() if r.address not in exclude and r.available]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        probes = [r for r in candidates if r.probing]
        if probes:
            return probes[0]  # its breaker's reset timeout has passed: one call finds out whether it recovered
        if session and self.session_affinity:
            kept = _session_replica(candidates, session)
            if kept is not None:
                return kept
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


def _session_replica(candidates: list[Replica], session: str) -> Replica | None:
    """The first replica in the session's rendezvous order that is serving and within the load bound."""
    serving = [r for r in candidates if HEALTH_WEIGHT.get(r.health, 0.0) == 1.0]
    if not serving:
        return None
    bound = AFFINITY_LOAD_FACTOR * sum(r.in_flight for r in serving) / len(serving) + 1
    ranked = sorted(serving, key=lambda r: _rendezvous_weight(session, r.address), reverse=True)
    return next((r for r in ranked if r.in_flight <= bound), None)


def _rendezvous_weight(session: str, address: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{session}\x1f{address}".encode(), digest_size=8).digest(), "big")
