"""Abi's threshold picking (services/abi/training/calibrate.py) on rows with known scores."""

from __future__ import annotations

import numpy as np

from services.abi.training.calibrate import figures_at, tune_decisions
from services.abi.training.data import Row


def _rows() -> tuple[list[Row], np.ndarray, np.ndarray]:
    rows, p_harm, p_crisis = [], [], []
    for i in range(400):  # benign: harm scores spread below 0.5, one outlier at 0.7
        rows.append(Row(f"benign {i}", f"b{i}", harm="none", crisis=False))
        p_harm.append(0.7 if i == 0 else (i % 50) / 100)
        p_crisis.append(0.01)
    for i in range(100):  # harmful: 90 score 0.8 or more, 10 score 0.3
        rows.append(Row(f"harmful {i}", f"h{i}", harm="weapons", crisis=False))
        p_harm.append(0.8 + (i % 10) / 100 if i < 90 else 0.3)
        p_crisis.append(0.01)
    for i in range(20):  # crises: the faintest scores 0.1
        rows.append(Row(f"crisis {i}", f"c{i}", harm="none", crisis=True))
        p_harm.append(0.0)
        p_crisis.append(0.1 if i == 0 else 0.9)
    return rows, np.asarray(p_harm), np.asarray(p_crisis)


def test_the_block_threshold_spares_the_benign_and_the_crisis_threshold_finds_every_crisis() -> None:
    rows, p_harm, p_crisis = _rows()
    decisions = tune_decisions(rows, p_harm, p_crisis)
    figures = decisions["validation"]
    assert figures["benign_blocked"] <= 0.005  # the outlier at 0.7 is the only benign row above 0.5
    assert figures["block_recall"] == 0.9  # the 10 harmful rows at 0.3 cannot be blocked at that cost
    assert 0.49 < decisions["block"] <= 0.8 and decisions["review"] == round(decisions["block"] / 2, 3)
    assert decisions["crisis"] <= 0.8 * 0.1 + 1e-9 and figures["crisis_recall"] == 1.0


def test_figures_at_fixed_thresholds_are_what_the_card_reports_for_them() -> None:
    """`calibrate --measure` scores a candidate and the shipped model at their own thresholds on the same rows."""
    rows, p_harm, p_crisis = _rows()
    decisions = tune_decisions(rows, p_harm, p_crisis)
    assert figures_at(rows, p_harm, p_crisis, decisions["block"], decisions["crisis"]) == decisions["validation"]
    strict = figures_at(rows, p_harm, p_crisis, 0.95, 0.95)
    assert strict["block_recall"] == 0.0 and strict["benign_blocked"] == 0.0 and strict["crisis_recall"] == 0.0
    assert strict["crisis_false_rate"] == 0.0 and (strict["harmful"], strict["benign"], strict["crisis_rows"]) == (
        100,
        420,
        20,
    )
