"""Classification metrics for the eval: accuracy, per-class precision/recall/F1, confusion, macro-F1."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any


def single_label_report(truth: list[str], predicted: list[str], labels: list[str] | None = None) -> dict[str, Any]:
    labels = labels or sorted(set(truth) | set(predicted))
    confusion = {t: {p: 0 for p in labels} for t in labels}
    for t, p in zip(truth, predicted, strict=True):
        confusion.setdefault(t, {q: 0 for q in labels})
        confusion[t][p] = confusion[t].get(p, 0) + 1
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = confusion.get(label, {}).get(label, 0)
        predicted_n = sum(row.get(label, 0) for row in confusion.values())
        actual_n = sum(confusion.get(label, {}).values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / actual_n if actual_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": actual_n,
        }
    present = [label for label in labels if per_class[label]["support"]]
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / max(1, len(truth))
    return {
        "n": len(truth),
        "accuracy": round(accuracy, 4),
        "macro_f1": round(sum(per_class[label]["f1"] for label in present) / max(1, len(present)), 4),
        "per_class": per_class,
        "confusion": confusion,
    }


def multilabel_report(truth: list[set[str]], predicted: list[set[str]], labels: list[str]) -> dict[str, Any]:
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(label in t and label in p for t, p in zip(truth, predicted, strict=True))
        fp = sum(label not in t and label in p for t, p in zip(truth, predicted, strict=True))
        fn = sum(label in t and label not in p for t, p in zip(truth, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    macro = {
        k: round(sum(per_class[label][k] for label in labels) / len(labels), 4) for k in ("precision", "recall", "f1")
    }
    return {"n": len(truth), "macro": macro, "per_class": per_class}


def grouped_accuracy(groups: list[str], truth: list[str], predicted: list[str]) -> dict[str, dict[str, Any]]:
    hits: dict[str, int] = Counter()
    totals: dict[str, int] = Counter()
    wrong: dict[str, Counter[str]] = defaultdict(Counter)
    for g, t, p in zip(groups, truth, predicted, strict=True):
        totals[g] += 1
        hits[g] += t == p
        if t != p:
            wrong[g][p] += 1
    return {
        g: {
            "n": totals[g],
            "accuracy": round(hits[g] / totals[g], 4),
            **({"mistakes": dict(wrong[g])} if wrong[g] else {}),
        }
        for g in sorted(totals)
    }


def answers_where(
    rows: list[dict[str, Any]],
    answers: list[dict[str, Any] | None],
    label: str,
    value: object,
    predicate: Callable[[dict[str, Any]], bool],
) -> dict[str, int]:
    """Of the rows whose `label` is `value` and that got an answer: how many (`n`), and how many of those answers
    `predicate` holds for (`count`)."""
    answered = [answer for row, answer in zip(rows, answers, strict=True) if row[label] == value and answer]
    return {"n": len(answered), "count": sum(predicate(answer) for answer in answered)}
