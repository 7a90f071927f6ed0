"""What counts as an answer, which questions are fitted or held out, and the answer threshold: shared by the
reranker's fitting and calibration.

numpy only: imported by the PyTorch training environment, the service environment and the docs QA grading.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

# The share of off-corpus questions that must get "no passage answers" at the chosen threshold. 0.7, not more:
# a passage that does not answer is still a real, cited passage (never an invented answer), while every step
# above 0.7 on the held-out questions cost far more correct answers (measured with the cross-encoder on dev:
# 0.62 answered correctly at 0.7, 0.53 at 0.85, 0.42 at 0.9).
ABSTAIN = 0.7


def contains_key(text: str, key: str) -> bool:
    """`key` in `text`; an option key (`-v`, `--tags`) only as a whole token. The docs QA grading uses it too."""
    if key.startswith("-"):
        return re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text) is not None
    return key in text


def pick_threshold(
    best_p: np.ndarray, best_ok: np.ndarray, off: np.ndarray, abstain: float = ABSTAIN
) -> tuple[float, dict[str, float]]:
    """The threshold on the best passage's probability that answers the most in-corpus questions correctly
    while at least `abstain` of the off-corpus questions (`off`) fall below it."""
    chosen, figures = 0.5, {"answered_correctly": 0.0, "off_corpus_abstained": 0.0}
    best_correct = -1.0
    for t in np.arange(0.02, 0.96, 0.01):
        answered = best_p >= t
        off_abstain = float((~answered[off]).mean()) if off.any() else 1.0
        correct = float((answered & best_ok)[~off].mean())
        if off_abstain >= abstain and correct > best_correct:
            best_correct, chosen = correct, round(float(t), 2)
            figures = {"answered_correctly": round(correct, 4), "off_corpus_abstained": round(off_abstain, 4)}
    return chosen, figures


def read_candidates(path: Path) -> list[dict[str, Any]]:
    """The labelled candidates `python -m services.aviva.training --dump` wrote."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _off_number(q: dict[str, Any]) -> int:
    return int(q["id"].split("-")[1])


def fitted(q: dict[str, Any]) -> bool:
    """Helper-written training questions and the odd-numbered off-corpus ones."""
    return q["split"] == "train" or (q["split"] == "off" and _off_number(q) % 2 == 1)


def held(q: dict[str, Any]) -> bool:
    """Docs QA dev questions and the even-numbered off-corpus ones."""
    return q["split"] == "dev" or (q["split"] == "off" and _off_number(q) % 2 == 0)
