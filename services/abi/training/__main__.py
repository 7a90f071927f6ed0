"""`python -m services.abi.training`: fit Abi's heads and write models/heads.npz + heads.json.

Data (never a `test` row):
- emotions: GoEmotions train (fit) and dev (per-label thresholds, maximising F1);
- route: the `dev` rows of ../shared/eval/routing.jsonl plus the training part of
  data/routing_fixtures.yaml, with abi split into policy categories and self-harm kept apart;
- query type: the `dev` rows of questions.jsonl, dev CoNaLa/TREC rows of routing.jsonl,
  and data/query_type_fixtures.yaml.
Vectors come from services.common.encoder (the index's model), cached under build/.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from services.abi.features import lexical_features, vader_scores
from services.abi.heads import MODELS_DIR
from services.abi.taxonomy import EMOTIONS, POLICY_CLASSES, QUERY_TYPES, ROUTE_CLASSES, route_class_of
from services.abi.training.embedding_cache import encode
from services.abi.training.fixtures import SHARED, Example, query_type_fixtures, read_jsonl, routing_fixtures

SEED = 0
ROUTE_C = 8.0


def lexical_matrix(texts: list[str]) -> np.ndarray:
    return np.vstack([lexical_features(t, vader_scores(t)) for t in texts])


def fit_emotions(log: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    train = read_jsonl(SHARED / "train/goemotions_train.jsonl")
    dev = read_jsonl(SHARED / "train/goemotions_dev.jsonl")
    # Embedding + lexical features (VADER and friends): the same inputs as the route head.
    x_train = route_features([r["text"] for r in train])
    x_dev = route_features([r["text"] for r in dev])
    weights, bias, thresholds = [], [], []
    grid = np.arange(0.05, 0.95, 0.025)
    for label in EMOTIONS:
        y_train = np.asarray([label in r["labels"] for r in train])
        y_dev = np.asarray([label in r["labels"] for r in dev])
        # No class weighting: the per-label threshold tuned on dev handles the imbalance (better dev F1).
        model = LogisticRegression(C=2.0, max_iter=2000, random_state=SEED)
        model.fit(x_train, y_train)
        probs = model.predict_proba(x_dev)[:, 1]
        f1s = [_f1(y_dev, probs >= t) for t in grid]
        best = int(np.argmax(f1s))
        weights.append(model.coef_[0])
        bias.append(model.intercept_[0])
        thresholds.append(float(grid[best]))
        log.append(f"emotion {label:<15} dev F1 {f1s[best]:.3f} at threshold {grid[best]:.3f}")
    return np.asarray(weights), np.asarray(bias), np.asarray(thresholds)


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = float((truth & predicted).sum())
    return 0.0 if tp == 0 else 2 * tp / (float(truth.sum()) + float(predicted.sum()))


def route_examples() -> list[Example]:
    rows = [r for r in read_jsonl(SHARED / "eval/routing.jsonl") if r["split"] == "dev"]
    public = [Example(r["text"], route_class_of(r["label"], r["id"], ""), r["source"]) for r in rows]
    fixtures = [Example(e.text, route_class_of(e.label, "", e.category), e.group) for e in routing_fixtures(False)]
    return public + fixtures


def route_features(texts: list[str]) -> np.ndarray:
    return np.hstack([encode(texts), lexical_matrix(texts)])


def fit_linear(x: np.ndarray, labels: list[str], classes: tuple[str, ...], c: float) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray([classes.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=5000, random_state=SEED)
    model.fit(x, y)
    if len(model.classes_) != len(classes):
        raise ValueError(f"some classes have no examples: {sorted(set(classes) - set(labels))}")
    return model.coef_, model.intercept_


def tune_route_thresholds(x: np.ndarray, labels: list[str], c: float, log: list[str]) -> dict[str, float]:
    """Cross-validated (5-fold) probabilities on the training rows pick the block and self-harm thresholds.

    Block: among thresholds on P(any policy class) that block at most 0.5% of benign rows, the highest one
    with the same recall as the lowest (the end of the plateau: most margin against false blocks).
    Self-harm: the threshold with the best F1 for the self_harm class.
    """
    y = np.asarray([ROUTE_CLASSES.index(label) for label in labels])
    probs = np.zeros((len(labels), len(ROUTE_CLASSES)))
    for train, held in StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y):
        model = LogisticRegression(C=c, max_iter=5000, random_state=SEED).fit(x[train], y[train])
        probs[held] = model.predict_proba(x[held])
    policy_idx = [ROUTE_CLASSES.index(name) for name in POLICY_CLASSES]
    p_block = probs[:, policy_idx].sum(axis=1)
    is_policy = np.isin(y, policy_idx)
    grid = np.arange(0.2, 0.9, 0.01)
    benign_n = (~is_policy).sum()
    recalls = [float(((p_block >= t) & is_policy).sum() / is_policy.sum()) for t in grid]
    allowed = [i for i, t in enumerate(grid) if ((p_block >= t) & ~is_policy).sum() <= 0.005 * benign_n]
    low = allowed[0] if allowed else len(grid) - 1
    # The upper end of the plateau that keeps the same recall: the widest margin against false blocks.
    high = low
    while high + 1 < len(grid) and recalls[high + 1] >= recalls[low]:
        high += 1
    block = float(grid[high])
    recall = float(((p_block >= block) & is_policy).sum() / is_policy.sum())
    log.append(f"route: block threshold {block:.2f} (cross-validated policy recall {recall:.3f})")
    self_harm = y == ROUTE_CLASSES.index("self_harm")
    p_self_harm = probs[:, ROUTE_CLASSES.index("self_harm")]
    f1s = [_f1(self_harm, p_self_harm >= t) for t in grid]
    self_harm_threshold = float(grid[int(np.argmax(f1s))])
    log.append(f"route: self-harm threshold {self_harm_threshold:.2f} (cross-validated F1 {max(f1s):.3f})")
    return {"block": round(block, 3), "self_harm": round(self_harm_threshold, 3)}


def query_type_examples() -> list[Example]:
    questions = [r for r in read_jsonl(SHARED / "eval/questions.jsonl") if r["split"] == "dev"]
    out = [Example(r["text"], r["label"], r["source"]) for r in questions]
    for r in read_jsonl(SHARED / "eval/routing.jsonl"):
        if r["split"] != "dev":
            continue
        if r["source"].startswith("CoNaLa"):
            out.append(Example(r["text"], "code_request", r["source"]))
        elif r["source"].startswith("TREC"):
            out.append(Example(r["text"], "factual_query", r["source"]))
        elif r["label"] == "abbey":
            out.append(Example(r["text"], "general", r["source"]))
    return out + query_type_fixtures(False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    args = parser.parse_args()
    started = time.perf_counter()
    log: list[str] = []

    emotion_w, emotion_b, emotion_t = fit_emotions(log)

    route = route_examples()
    route_x, route_labels = route_features([e.text for e in route]), [e.label for e in route]
    route_w, route_b = fit_linear(route_x, route_labels, ROUTE_CLASSES, ROUTE_C)
    route_thresholds = tune_route_thresholds(route_x, route_labels, ROUTE_C, log)
    log.append(f"route: {len(route)} examples")

    qt = query_type_examples()
    qt_classes = QUERY_TYPES
    qt_w, qt_b = fit_linear(route_features([e.text for e in qt]), [e.label for e in qt], qt_classes, 4.0)
    log.append(f"query type: {len(qt)} examples")

    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "heads.npz",
        emotion_W=emotion_w.astype(np.float32),
        emotion_b=emotion_b.astype(np.float32),
        route_W=route_w.astype(np.float32),
        route_b=route_b.astype(np.float32),
        query_type_W=qt_w.astype(np.float32),
        query_type_b=qt_b.astype(np.float32),
    )
    meta = {
        "encoder": "all-MiniLM-L6-v2-int8 (services.common.encoder), L2-normalised, 384 dims",
        "features": {
            "emotion": "embedding + lexical",
            "route": "embedding + lexical",
            "query_type": "embedding + lexical",
        },
        "heads": {
            "emotion": {
                "labels": list(EMOTIONS),
                "multilabel": True,
                "thresholds": [round(float(t), 4) for t in emotion_t],
            },
            "route": {"labels": list(ROUTE_CLASSES), "multilabel": False, "decision": route_thresholds},
            "query_type": {"labels": list(qt_classes), "multilabel": False},
        },
        "training": {
            "data": [
                "goemotions train (fit) + dev (thresholds)",
                "routing.jsonl dev",
                "questions.jsonl dev",
                "services/abi/training/data/*.yaml (training part)",
            ],
            "seconds": round(time.perf_counter() - started, 1),
            "log": log,
        },
    }
    (args.out / "heads.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print("\n".join(log))
    print(f"wrote {args.out}/heads.npz and heads.json in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
