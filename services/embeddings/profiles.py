"""Persona profiles in memory: the hot path of every routed request.

Each persona of the registry is a set of unit vectors (its description and
example utterances, from services/common/registry/personas.yaml). A query's
score for a persona is the mean of its best few similarities: robust to one
odd example, sharper than a single centroid.
No store access per request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.common.registry import PersonaRegistry, persona_registry

TOP_MATCHES = 5


@dataclass(frozen=True)
class ProfileText:
    """One embedded text of a profile."""

    persona: str  # registry name
    kind: str  # "description" or "example"
    text: str


def load_profile_texts(registry: PersonaRegistry | None = None) -> list[ProfileText]:
    """Every persona's description and examples, from the registry."""
    texts: list[ProfileText] = []
    for entry in (registry or persona_registry()).entries.values():
        texts.append(ProfileText(entry.name, "description", " ".join(entry.description.split())))
        texts.extend(ProfileText(entry.name, "example", example.strip()) for example in entry.examples)
    return texts


class PersonaProfiles:
    """Profile vectors per persona, scored with one matrix product."""

    def __init__(self, texts: list[ProfileText], vectors: np.ndarray) -> None:
        self.texts = texts
        self.personas = sorted({t.persona for t in texts})
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        self._rows = {p: np.array([i for i, t in enumerate(texts) if t.persona == p]) for p in self.personas}

    def scores(self, query: np.ndarray) -> list[tuple[str, float]]:
        """(persona, score) for every persona, best first; score is a cosine similarity in [-1, 1]."""
        similarities = self.matrix @ query.astype(np.float32)
        scored: list[tuple[str, float]] = []
        for persona, rows in self._rows.items():
            values = similarities[rows]
            take = min(TOP_MATCHES, len(values))
            best = np.partition(values, len(values) - take)[-take:]
            scored.append((persona, float(best.mean())))
        scored.sort(key=lambda item: item[1], reverse=True)
        return scored
