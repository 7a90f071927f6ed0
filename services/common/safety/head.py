"""A learned head on the embedding index's sentence vector: a logistic regression fitted offline
(services/common/safety/training), stored as JSON (weights, bias, the threshold chosen out of fold, and a card
saying how). The personas read the message's vector from their knowledge search, so a head costs no model run."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self


@dataclass(frozen=True)
class LogisticHead:
    weights: tuple[float, ...]
    bias: float
    threshold: float
    card: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Self:
        return cls(tuple(float(w) for w in document["weights"]), float(document["bias"]), float(document["threshold"]),
                   document.get("card", {}))  # fmt: skip

    @classmethod
    def read(cls, path: Path) -> Self:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def probability(self, vector: Sequence[float]) -> float:
        if len(vector) != len(self.weights):
            raise ValueError(f"a {len(self.weights)}-dimensional vector is needed, got {len(vector)}")
        z = self.bias + math.fsum(w * x for w, x in zip(self.weights, vector, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def fires(self, vector: Sequence[float] | None) -> bool:
        return bool(vector) and self.probability(vector or ()) >= self.threshold


@dataclass(frozen=True)
class SoftmaxHead:
    """A multinomial logistic regression on the same vector: one weight row and bias per label, the labels' order
    kept, and a threshold the caller reads against the probability of the label it would act on."""

    labels: tuple[str, ...]
    weights: tuple[tuple[float, ...], ...]
    biases: tuple[float, ...]
    threshold: float
    card: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Self:
        document = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            tuple(str(label) for label in document["labels"]),
            tuple(tuple(float(w) for w in row) for row in document["weights"]),
            tuple(float(b) for b in document["biases"]),
            float(document["threshold"]),
            document.get("card", {}),
        )

    def probabilities(self, vector: Sequence[float]) -> dict[str, float]:
        if any(len(row) != len(vector) for row in self.weights):
            raise ValueError(f"a {len(self.weights[0])}-dimensional vector is needed, got {len(vector)}")
        logits = [
            b + math.fsum(w * x for w, x in zip(row, vector, strict=True))
            for row, b in zip(self.weights, self.biases, strict=True)
        ]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = math.fsum(exps)
        return {label: e / total for label, e in zip(self.labels, exps, strict=True)}

    def likeliest(self, vector: Sequence[float], besides: str) -> tuple[str, float]:
        """The likeliest label other than `besides` (the one nothing is done for), and its probability."""
        probabilities = self.probabilities(vector)
        label = max((label for label in probabilities if label != besides), key=probabilities.__getitem__)
        return label, probabilities[label]
