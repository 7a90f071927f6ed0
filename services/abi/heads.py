"""Linear classifier heads loaded from numpy files: the only model code the service runs.

`python -m services.abi.training` writes `models/heads.npz` (weights) and
`models/heads.json` (labels, thresholds, provenance). Serving needs numpy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODELS_DIR = Path(__file__).parent / "models"


@dataclass(frozen=True)
class LinearHead:
    """A fitted linear model: softmax over classes (multiclass) or one sigmoid per label (multilabel)."""

    labels: tuple[str, ...]
    weights: np.ndarray  # classes x features
    bias: np.ndarray  # classes
    multilabel: bool
    thresholds: np.ndarray  # per label; used by multilabel heads

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Probabilities for one feature vector (1-D) or a batch (2-D)."""
        logits = features @ self.weights.T + self.bias
        if self.multilabel:
            return 1.0 / (1.0 + np.exp(-logits))  # type: ignore[no-any-return]
        logits = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Heads:
    emotion: LinearHead
    route: LinearHead
    query_type: LinearHead
    metadata: dict[str, Any]


def load_heads(directory: Path = MODELS_DIR) -> Heads:
    """Load every head; raises FileNotFoundError with a hint when training has not run."""
    npz_path, json_path = directory / "heads.npz", directory / "heads.json"
    if not npz_path.exists() or not json_path.exists():
        raise FileNotFoundError(f"{npz_path} missing; run `python -m services.abi.training`")
    arrays = np.load(npz_path)
    meta = json.loads(json_path.read_text(encoding="utf-8"))

    def head(name: str) -> LinearHead:
        spec = meta["heads"][name]
        labels = tuple(spec["labels"])
        thresholds = np.asarray(spec.get("thresholds", [0.5] * len(labels)), dtype=np.float32)
        return LinearHead(
            labels,
            arrays[f"{name}_W"].astype(np.float32),
            arrays[f"{name}_b"].astype(np.float32),
            bool(spec["multilabel"]),
            thresholds,
        )

    return Heads(head("emotion"), head("route"), head("query_type"), meta)
