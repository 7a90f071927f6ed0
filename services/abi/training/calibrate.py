"""Pick the shipped model's thresholds on data it was not fitted on, with the exported int8 model itself.

    python -m services.abi.training.calibrate [--models services/abi/models]
    python -m services.abi.training.calibrate --models DIR --measure   # figures at the card's thresholds only

Run by `finetune` after export (and runnable alone, with onnxruntime only): the thresholds must
match the quantised model that ships, not the float one that was trained.
- emotions and Ekman groups: per label, the threshold of best F1 on GoEmotions dev; for the Ekman groups
  first the blend of the Ekman head with the 28 labels (AbiModel.ekman_blend), cross-fitted on dev's halves;
- block: the lowest threshold on P(harm) that blocks at most 0.5% (else 1%) of the benign validation rows, then
  the middle of the plateau that keeps the same recall (margin against false blocks); review: half;
- crisis (recall-first): 0.8 x the lowest crisis probability among the validation crisis rows, and
  never above the threshold of best F1.
Validation rows are the task rows with Row.is_validation (never fitted).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from services.abi.model import CARD_FILE, MODELS_DIR, AbiModel, Scores, blend_ekman
from services.abi.taxonomy import ANSWERING, EMOTIONS, QUERY_TYPES
from services.abi.training import augment, data

GRID = np.arange(0.02, 0.96, 0.01)
SEED = 20261130


def f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = float((truth & predicted).sum())
    return 0.0 if tp == 0 else 2 * tp / (float(truth.sum()) + float(predicted.sum()))


def tune_multilabel(probs: np.ndarray, truth: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-label threshold maximising F1 on held-out rows, and the F1 it reaches."""
    thresholds, scores = [], []
    for j in range(truth.shape[1]):
        f1s = [f1(truth[:, j], probs[:, j] >= t) for t in GRID]
        best = int(np.argmax(f1s))
        thresholds.append(round(float(GRID[best]), 3))
        scores.append(round(f1s[best], 4))
    return thresholds, scores


BLENDS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)


def pick_ekman_blend(head: np.ndarray, members: np.ndarray, truth: np.ndarray) -> tuple[float, dict[float, float]]:
    """The weight of the Ekman head against its groups' likeliest 28-label member with the best macro-F1 on
    rows its thresholds were not tuned on: dev in two seeded halves, thresholds tuned on one, F1 on the other."""
    order = np.random.default_rng(SEED).permutation(len(truth))
    halves = (order[: len(order) // 2], order[len(order) // 2 :])
    scores: dict[float, float] = {}
    for blend in BLENDS:
        probs = blend_ekman(head, members, blend)
        f1s: list[float] = []
        for fit, held in (halves, halves[::-1]):
            thresholds, _ = tune_multilabel(probs[fit], truth[fit])
            f1s.extend(f1(truth[held][:, j], probs[held][:, j] >= t) for j, t in enumerate(thresholds))
        scores[blend] = round(float(np.mean(f1s)), 4)
    return max(scores, key=lambda b: scores[b]), scores


def _truths(rows: list[data.Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: harmful, benign, crisis label known, crisis."""
    return (
        np.asarray([r.harm not in (None, "none") for r in rows]),
        np.asarray([r.harm == "none" for r in rows]),
        np.asarray([r.crisis is not None for r in rows]),
        np.asarray([bool(r.crisis) for r in rows]),
    )


def tune_decisions(rows: list[data.Row], p_harm: np.ndarray, p_crisis: np.ndarray) -> dict[str, Any]:
    """Block, review and crisis thresholds from the validation rows, and what they reach there."""
    harmful, benign, crisis_known, crisis_truth = _truths(rows)
    recalls = np.asarray([((p_harm >= t) & harmful).sum() / max(1, harmful.sum()) for t in GRID])
    false_rates = np.asarray([((p_harm >= t) & benign).sum() / max(1, benign.sum()) for t in GRID])
    allowed = np.flatnonzero(false_rates <= 0.005)
    if not len(allowed):
        allowed = np.flatnonzero(false_rates <= 0.01)
    low = int(allowed[0]) if len(allowed) else len(GRID) - 1
    high = low
    while high + 1 < len(GRID) and recalls[high + 1] >= recalls[low]:
        high += 1
    block = float(GRID[(low + high) // 2])
    f1s = [f1(crisis_truth[crisis_known], p_crisis[crisis_known] >= t) for t in GRID]
    best_f1 = float(GRID[int(np.argmax(f1s))])
    lowest_positive = float(p_crisis[crisis_truth].min()) if crisis_truth.any() else 0.5
    crisis = max(0.02, min(best_f1, 0.8 * lowest_positive))
    return {
        "block": round(block, 3),
        "review": round(block / 2, 3),
        "crisis": round(crisis, 3),
        "validation": figures_at(rows, p_harm, p_crisis, block, crisis),
    }


def figures_at(
    rows: list[data.Row], p_harm: np.ndarray, p_crisis: np.ndarray, block: float, crisis: float
) -> dict[str, Any]:
    """What the block and crisis thresholds reach on these rows (the model card's `validation`)."""
    harmful, benign, crisis_known, crisis_truth = _truths(rows)
    negatives = crisis_known & ~crisis_truth
    return {
        "harmful": int(harmful.sum()),
        "benign": int(benign.sum()),
        "block_recall": round(float(((p_harm >= block) & harmful).sum() / max(1, harmful.sum())), 4),
        "benign_blocked": round(float(((p_harm >= block) & benign).sum() / max(1, benign.sum())), 4),
        "crisis_rows": int(crisis_truth.sum()),
        "crisis_recall": round(float((p_crisis[crisis_truth] >= crisis).mean()) if crisis_truth.any() else 0, 4),
        "crisis_false_rate": round(float((p_crisis[negatives] >= crisis).mean()) if negatives.any() else 0, 4),
    }


def measure(models_dir: Path, extra: Sequence[data.Extra] = ()) -> dict[str, Any]:
    """The model's figures at its card's thresholds on today's validation rows, writing nothing: compares a
    shipped model with a candidate on the same rows (a candidate's data adds validation rows the shipped
    model's card never counted). `extra`: ingredient files whose never-fitted fifth joins the rows."""
    model = AbiModel(models_dir, threads=2)
    validation = [r for r in data.task_rows(extra) if r.is_validation]
    scores = model.score([r.text for r in validation])
    decision = model.decision
    return {
        "thresholds": decision,
        **figures_at(
            validation,
            np.asarray([s.harm_probability for s in scores]),
            np.asarray([s.crisis for s in scores]),
            decision["block"],
            decision["crisis"],
        ),
        "persona_accuracy": accuracy(validation, scores, "persona", ANSWERING),
    }


def framed_rows(rows: list[data.Row]) -> list[data.Row]:
    """The rows a framing applies to, each shown once in one framing chosen by its own text's hash (so every
    model is measured on the same texts); the benign ask beside it is another benign row's."""
    benign = [r.text for r in rows if r.harm == "none" and not r.crisis and len(r.text) <= 160]
    out = []
    for row in rows:
        framings = augment.framings_for(row.harm, row.crisis, row.persona)
        if row.harm is None or not framings:
            continue
        rng = random.Random(data.text_hash(row.text))
        other = rng.choice([t for t in benign if t != row.text])
        out.append(dataclasses.replace(row, text=augment.framed(row.text, framings, other, rng)))
    return out


def measure_framed(models_dir: Path) -> dict[str, Any]:
    """Block recall and benign blocked at the card's block threshold on the validation rows shown framed
    (`framed_rows`): what framing augmentation (`finetune --frame`) is for, measured on rows never fitted."""
    model = AbiModel(models_dir, threads=2)
    rows = framed_rows([r for r in data.task_rows() if r.is_validation])
    p_harm = np.asarray([s.harm_probability for s in model.score([r.text for r in rows])])
    figures = figures_at(rows, p_harm, np.zeros(len(rows)), model.decision["block"], 1.0)
    return {key: figures[key] for key in ("harmful", "benign", "block_recall", "benign_blocked")}


def accuracy(rows: list[data.Row], scores: list[Scores], attr: str, labels: tuple[str, ...]) -> float:
    """Accuracy of a softmax head on the rows that have its label."""
    pairs = [(getattr(r, attr), getattr(s, attr)) for r, s in zip(rows, scores, strict=True) if getattr(r, attr)]
    assert all(set(p) == set(labels) for _, p in pairs)
    return round(float(np.mean([truth == max(p, key=lambda k: p[k]) for truth, p in pairs])), 4) if pairs else 0.0


def calibrate(models_dir: Path, log: list[str]) -> dict[str, Any]:
    """Recompute every threshold with the model in `models_dir` and write them into its card."""
    model = AbiModel(models_dir, threads=2)
    validation = [r for r in data.task_rows() if r.is_validation]
    scores = model.score([r.text for r in validation])
    decisions = tune_decisions(
        validation,
        np.asarray([s.harm_probability for s in scores]),
        np.asarray([s.crisis for s in scores]),
    )
    log.append(
        f"int8 validation: persona acc {accuracy(validation, scores, 'persona', ANSWERING)}, query type acc "
        f"{accuracy(validation, scores, 'query_type', QUERY_TYPES)}, thresholds block {decisions['block']} "
        f"crisis {decisions['crisis']}: {decisions['validation']}"
    )
    dev = data.goemotions("dev")
    model.ekman_blend = 1.0  # the Ekman head alone: the blend is picked below
    dev_scores = model.score([r.text for r in dev])
    emotion_truth = np.asarray([[e in (r.emotions or ()) for e in EMOTIONS] for r in dev])
    groups = model.labels["ekman"]  # the card's order, which its thresholds follow
    ekman_truth = np.asarray([[e in (r.ekman or ()) for e in groups] for r in dev])
    emotion_t, emotion_f1 = tune_multilabel(np.asarray([[s.emotion[e] for e in EMOTIONS] for s in dev_scores]),
                                            emotion_truth)  # fmt: skip
    head = np.asarray([[s.ekman[e] for e in groups] for s in dev_scores])
    members = model.ekman_members(np.asarray([[s.emotion[e] for e in model.labels["emotion"]] for s in dev_scores]))
    blend, blend_f1s = pick_ekman_blend(head, members, ekman_truth)
    ekman_t, ekman_f1 = tune_multilabel(blend_ekman(head, members, blend), ekman_truth)
    log.append(
        f"int8 GoEmotions dev (thresholds tuned on it): 28-label macro-F1 {np.mean(emotion_f1):.4f}, "
        f"Ekman macro-F1 {np.mean(ekman_f1):.4f} with blend {blend} (cross-fitted F1 by blend: {blend_f1s})"
    )
    card_path = models_dir / CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["heads"]["emotion"]["thresholds"] = emotion_t
    card["heads"]["ekman"]["thresholds"] = ekman_t
    card["heads"]["ekman"]["blend"] = blend
    card["decision"] = {k: decisions[k] for k in ("block", "review", "crisis")}
    card["validation"] = {
        **decisions["validation"],
        "goemotions_dev_macro_f1": round(float(np.mean(emotion_f1)), 4),
        "goemotions_dev_ekman_macro_f1": round(float(np.mean(ekman_f1)), 4),
    }
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return card


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument(
        "--measure", action="store_true", help="print the figures at the card's thresholds; write nothing"
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.models), indent=1))
        return 0
    log: list[str] = []
    calibrate(args.models, log)
    print("\n".join(log))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
