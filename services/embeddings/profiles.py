"""Persona profiles in memory: the hot path of every routed request.

Each persona is a set of unit vectors (its description and example
utterances). A query's score for a persona is the mean of its best few
similarities: robust to one odd example, sharper than a single centroid.
No store access per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from personamesh.v1 import persona_pb2

DEFAULT_PROFILES = Path(__file__).with_name("profiles.yaml")
PERSONA_BY_NAME = {
    "abi": persona_pb2.PERSONA_ABI,
    "abbey": persona_pb2.PERSONA_ABBEY,
    "aviva": persona_pb2.PERSONA_AVIVA,
}
TOP_MATCHES = 5


@dataclass(frozen=True)
class ProfileText:
    """One embedded text of a profile."""

    persona: int
    kind: str  # "description" or "example"
    text: str


def load_profile_texts(path: Path | None = None) -> list[ProfileText]:
    """Profile texts from YAML (`personas: {name: {description, examples}}`)."""
    data: dict[str, Any] = yaml.safe_load((path or DEFAULT_PROFILES).read_text(encoding="utf-8"))
    texts: list[ProfileText] = []
    for name, profile in data["personas"].items():
        if name not in PERSONA_BY_NAME:
            raise ValueError(f"unknown persona {name!r} in profiles")
        persona = PERSONA_BY_NAME[name]
        texts.append(ProfileText(persona, "description", str(profile["description"]).strip()))
        texts.extend(ProfileText(persona, "example", str(example).strip()) for example in profile["examples"])
    return texts


class PersonaProfiles:
    """Profile vectors per persona, scored with one matrix product."""

    def __init__(self, texts: list[ProfileText], vectors: np.ndarray) -> None:
        self.texts = texts
        self.personas = sorted({t.persona for t in texts})
        self.matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        self._rows = {p: np.array([i for i, t in enumerate(texts) if t.persona == p]) for p in self.personas}

    def scores(self, query: np.ndarray) -> list[tuple[int, float]]:
        """(persona, score) for every persona, best first; score is a cosine similarity in [-1, 1]."""
        similarities = self.matrix @ query.astype(np.float32)
        scored: list[tuple[int, float]] = []
        for persona, rows in self._rows.items():
            values = similarities[rows]
            take = min(TOP_MATCHES, len(values))
            best = np.partition(values, len(values) - take)[-take:]
            scored.append((persona, float(best.mean())))
        scored.sort(key=lambda item: item[1], reverse=True)
        return scored
