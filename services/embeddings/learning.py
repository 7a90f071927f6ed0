"""Adaptive persona weights: a decaying Beta posterior per persona at three levels.

The original rule (w += 0.1 * ((0.5 + success) - w), floor 0.5, fixed
0.4/0.3/0.3 blend) ignores how much evidence stands behind a weight: one
rating moves a new user's weight as much as a hundred. Here every scope
(global, domain, user) keeps decayed success and failure counts per persona.
Outcomes lose half their weight every `half_life` so the weights follow
change, and counts are capped so old evidence cannot freeze them. Levels are
shrunk hierarchically: a domain's rate is pulled toward the global rate and a
user's toward their domain's, each by `prior_strength` pseudo-outcomes, so a
user with no history gets the domain weight and a user with much history gets
their own. `evidence` is the decayed outcome count of the most specific level
asked for (user, else domain, else global). Weight = 0.5 + success rate: 1.0 is neutral, range [0.5, 1.5],
the scale of the original rule.

Each outcome counts once per request id, across restarts: the id is written to
the store (collection `feedback_outcomes`) in the same group commit as the
weights it changed, and a repeat is recognised from memory or, after a restart,
from the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache

from services.embeddings.collections import PLACEHOLDER_VECTOR

GLOBAL = "global"
DOMAIN = "domain"
USER = "user"
NEUTRAL_RATE = 0.5
SEEN_REQUESTS = 100_000


@dataclass
class Evidence:
    """Decayed outcome counts of one persona in one scope."""

    successes: float = 0.0
    failures: float = 0.0
    updated_ms: int = 0

    def decayed(self, now_ms: int, half_life_ms: float) -> Evidence:
        if half_life_ms <= 0 or now_ms <= self.updated_ms:
            return Evidence(self.successes, self.failures, max(self.updated_ms, now_ms))
        factor = math.pow(0.5, (now_ms - self.updated_ms) / half_life_ms)
        return Evidence(self.successes * factor, self.failures * factor, now_ms)

    @property
    def total(self) -> float:
        return self.successes + self.failures


@dataclass(frozen=True)
class PersonaWeights:
    """The blended weight of one persona for one (user, domain), with its parts."""

    persona: int
    weight: float
    evidence: float
    user_weight: float
    domain_weight: float
    global_weight: float


Key = tuple[str, str, int]  # (scope, key, persona)


def row_id(key: Key) -> str:
    scope, name, persona = key
    return f"{scope}|{name}|{persona}"


class AdaptiveWeights:
    """In-memory posterior state (served per request), persisted row by row."""

    def __init__(
        self,
        personas: Iterable[int],
        *,
        half_life_days: float,
        prior_strength: float,
        global_prior_strength: float,
        max_evidence: float,
    ) -> None:
        self.personas = sorted(personas)
        self.half_life_ms = half_life_days * 86_400_000.0
        self.prior_strength = max(prior_strength, 1e-6)
        self.global_prior_strength = max(global_prior_strength, 1e-6)
        self.max_evidence = max_evidence
        self.state: dict[Key, Evidence] = {}
        self._seen: LRUCache[str, bool] = LRUCache(maxsize=SEEN_REQUESTS)

    # --- persistence -----------------------------------------------------

    def load_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            key = (str(row["scope"]), str(row["key"]), int(row["persona"]))
            self.state[key] = Evidence(float(row["successes"]), float(row["failures"]), int(row["updated_ms"]))

    def to_row(self, key: Key) -> dict[str, Any]:
        evidence = self.state[key]
        scope, name, persona = key
        return {
            "id": row_id(key),
            "scope": scope,
            "key": name,
            "user_id": name if scope == USER else "",
            "persona": persona,
            "successes": evidence.successes,
            "failures": evidence.failures,
            "updated_ms": evidence.updated_ms,
            "vector": PLACEHOLDER_VECTOR,
        }

    @staticmethod
    def outcome_row(request_id: str, persona: int, user_id: str, now_ms: int) -> dict[str, Any]:
        """The store's record that this request's outcome was counted."""
        return {
            "id": request_id,
            "user_id": user_id,
            "persona": persona,
            "recorded_ms": now_ms,
            "vector": PLACEHOLDER_VECTOR,
        }

    # --- learning --------------------------------------------------------

    def already_recorded(self, request_id: str) -> bool:
        """True if this process saw the request id already; otherwise claims it (concurrent repeats count once).

        Only a cache: after a restart, the store's `feedback_outcomes` rows decide (see the servicer).
        """
        if not request_id:
            return False
        if self._seen.get(request_id):
            return True
        self._seen[request_id] = True
        return False

    def release(self, request_id: str) -> None:
        """Forget a claim whose outcome could not be stored, so a retry counts."""
        self._seen.pop(request_id, None)

    def snapshot(self, keys: Iterable[Key]) -> dict[Key, Evidence | None]:
        return {key: self.state.get(key) for key in keys}

    def restore(self, snapshot: dict[Key, Evidence | None]) -> None:
        """Undo `record` (its write to the store failed)."""
        for key, evidence in snapshot.items():
            if evidence is None:
                self.state.pop(key, None)
            else:
                self.state[key] = evidence

    def keys_for(self, persona: int, user_id: str, domain: str) -> list[Key]:
        keys: list[Key] = [(GLOBAL, "", persona)]
        if domain:
            keys.append((DOMAIN, domain, persona))
        if user_id:
            keys.append((USER, user_id, persona))
        return keys

    def record(self, persona: int, reward: float, user_id: str, domain: str, now_ms: int) -> list[Key]:
        """Count one outcome (reward in [0, 1]) at every level it belongs to; returns the keys changed."""
        keys = self.keys_for(persona, user_id, domain)
        for key in keys:
            evidence = self.state.get(key, Evidence()).decayed(now_ms, self.half_life_ms)
            evidence.successes += reward
            evidence.failures += 1.0 - reward
            if evidence.total > self.max_evidence:
                scale = self.max_evidence / evidence.total
                evidence.successes *= scale
                evidence.failures *= scale
            self.state[key] = evidence
        return keys

    def forget_user(self, user_id: str) -> int:
        keys = [key for key in self.state if key[0] == USER and key[1] == user_id]
        for key in keys:
            del self.state[key]
        return len(keys)

    # --- serving ---------------------------------------------------------

    def _counts(self, key: Key, now_ms: int) -> Evidence:
        evidence = self.state.get(key)
        return Evidence() if evidence is None else evidence.decayed(now_ms, self.half_life_ms)

    @staticmethod
    def _shrunk(evidence: Evidence, prior_rate: float, strength: float) -> float:
        """Posterior mean of a Beta prior centred on `prior_rate` worth `strength` outcomes."""
        return (evidence.successes + strength * prior_rate) / (evidence.total + strength)

    def weights(self, user_id: str, domain: str, now_ms: int) -> list[PersonaWeights]:
        out: list[PersonaWeights] = []
        for persona in self.personas:
            global_counts = self._counts((GLOBAL, "", persona), now_ms)
            domain_counts = self._counts((DOMAIN, domain, persona), now_ms) if domain else Evidence()
            user_counts = self._counts((USER, user_id, persona), now_ms) if user_id else Evidence()
            global_rate = self._shrunk(global_counts, NEUTRAL_RATE, self.global_prior_strength)
            domain_rate = self._shrunk(domain_counts, global_rate, self.prior_strength)
            user_rate = self._shrunk(user_counts, domain_rate, self.prior_strength)
            # Evidence of the most specific level asked for: how personal the weight is.
            specific = user_counts if user_id else domain_counts if domain else global_counts
            out.append(
                PersonaWeights(
                    persona=persona,
                    weight=0.5 + user_rate,
                    evidence=specific.total,
                    user_weight=0.5 + user_rate,
                    domain_weight=0.5 + domain_rate,
                    global_weight=0.5 + global_rate,
                )
            )
        return out
