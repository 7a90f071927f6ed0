"""What the safety heads' trainers share: ordinary chatter as negatives, out-of-fold probabilities, the
threshold rule, and the head file with its card."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from services.common.encoder import SentenceEncoder, default_model_path
from services.common.shared_data import SHARED, read_jsonl

# Ordinary chatter as more negatives: GoEmotions' training comments (../shared/train).
CHATTER = SHARED / "train" / "goemotions_train.jsonl"
SEED = 20261204


def threshold_for(negatives: np.ndarray, max_false_alarms: float) -> float:
    """The lowest threshold flagging at most `max_false_alarms` of `negatives` (probabilities; ties stay out)."""
    ranked = np.sort(negatives)[::-1]
    allowed = int(np.floor(max_false_alarms * len(ranked)))
    return float(np.nextafter(ranked[allowed], 1.0)) if allowed < len(ranked) else 0.0


def chatter(path: Path, count: int, seed: int) -> list[str]:
    """`count` comments of GoEmotions' training split, drawn at random (seeded)."""
    texts = [str(row["text"]) for row in read_jsonl(path)]
    picks = np.random.default_rng(seed).choice(len(texts), size=min(count, len(texts)), replace=False)
    return [texts[i] for i in sorted(picks)]


def index_vectors(texts: list[str]) -> np.ndarray:
    """The texts' index sentence vectors: the same int8 encoder, one text per run, as `Embed` answers, so a head
    reads in the personas what it was fitted on."""
    return np.asarray(SentenceEncoder(threads=1).encode(texts).vectors, dtype=np.float64)


def with_chatter(rows: list[dict[str, Any]], count: int) -> tuple[list[str], np.ndarray]:
    """The written messages followed by `count` chatter comments, and their index sentence vectors."""
    texts = [str(row["text"]) for row in rows] + chatter(CHATTER, count, SEED)
    return texts, index_vectors(texts)


def fit_head(vectors: np.ndarray, labels: np.ndarray, seed: int = SEED) -> tuple[LogisticRegression, np.ndarray]:
    """A balanced logistic regression and its out-of-fold probabilities (5 folds), to choose a threshold on."""
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    out_of_fold = cross_val_predict(model, vectors, labels, cv=folds, method="predict_proba")[:, 1]
    model.fit(vectors, labels)
    return model, out_of_fold


@dataclass(frozen=True)
class SoftmaxFit:
    """A multinomial head over labels with one "nothing to act on" label, and the threshold on the probability of
    the likeliest other label; `read` and `right` are per training row, out of fold."""

    model: LogisticRegression
    c: float
    labels: list[str]
    threshold: float
    read: np.ndarray  # the likeliest other label reached the threshold
    right: np.ndarray  # ... and it is the row's label

    def figures(self, gold: np.ndarray, nothing: str, names: tuple[str, str, str, str]) -> dict[str, Any]:
        """The out-of-fold figures under the card's `names`: the other labels read right, read as another label,
        the `nothing` rows read as a label, and each label read right."""
        rest = gold != nothing
        right, wrong, nothing_read, per_label = names
        return {
            right: round(float(self.right[rest].mean()), 4),
            wrong: round(float((self.read & ~self.right)[rest].mean()), 4),
            nothing_read: round(float(self.read[~rest].mean()), 4),
            per_label: {
                label: round(float(self.right[gold == label].mean()), 4) for label in self.labels if label != nothing
            },
        }

    def document(self, data: str, threshold_rule: str, figures: dict[str, Any]) -> dict[str, Any]:
        """The JSON `SoftmaxHead.read` reads, with its card: what it was fitted on, how, its threshold's rule and its
        out-of-fold `figures`."""
        model = (
            f"scikit-learn LogisticRegression(C={self.c:g}, class_weight=balanced), multinomial, on the unit sentence "
            "vector of the embedding index's encoder"
        )
        return {
            "labels": self.labels,
            "weights": [[round(float(w), 6) for w in row] for row in self.model.coef_],
            "biases": [round(float(b), 6) for b in self.model.intercept_],
            "threshold": round(self.threshold, 6),
            "card": {"data": data, "model": model, "threshold_rule": threshold_rule, "out_of_fold": figures},
        }


def fit_softmax_head(vectors: np.ndarray, gold: np.ndarray, nothing: str, max_read: float, c: float) -> SoftmaxFit:
    """A balanced multinomial logistic regression, and the lowest threshold at which, out of fold (5 folds), at most
    `max_read` of the rows labelled `nothing` would be read as another label."""
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    out_of_fold = cross_val_predict(model, vectors, gold, cv=folds, method="predict_proba")
    model.fit(vectors, gold)
    labels = [str(label) for label in model.classes_]
    others = [i for i, label in enumerate(labels) if label != nothing]
    likeliest = np.asarray(others)[out_of_fold[:, others].argmax(axis=1)]
    probability = out_of_fold[:, others].max(axis=1)
    threshold = threshold_for(probability[gold == nothing], max_read)
    read = probability >= threshold
    return SoftmaxFit(model, c, labels, threshold, read, read & (np.asarray(labels)[likeliest] == gold))


def head_document(
    model: LogisticRegression, threshold: float, *, data: str, threshold_rule: str, out_of_fold: dict[str, float]
) -> dict[str, Any]:
    """The JSON `LogisticHead.from_json` reads, with its card: what it was fitted on and how, and its out-of-fold
    figures."""
    card = {
        "trained": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "data": data,
        "encoder": default_model_path().name,
        "model": "scikit-learn LogisticRegression(C=4, class_weight=balanced) on the unit sentence vector",
        "threshold_rule": threshold_rule,
        "out_of_fold": out_of_fold,
    }
    return {
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "threshold": round(threshold, 6),
        "card": card,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
