"""`python -m tests.eval.compare_abi` puts a candidate's figures beside the shipped model's, figure by figure."""

from __future__ import annotations

from tests.eval.compare_abi import side_by_side


def test_every_figure_of_both_models_is_on_one_line() -> None:
    shipped = {"selection": {"block_recall": 0.93, "crisis": "79/79"}, "Ekman F1": 0.6445}
    candidate = {"selection": {"block_recall": 0.95, "crisis": "78/79"}, "Ekman F1": 0.641}
    lines = side_by_side(shipped, candidate)
    assert lines[0] == "== selection"
    assert lines[1].split() == ["block_recall", "0.93", "0.95"]
    assert lines[2].split() == ["crisis", "79/79", "78/79"]
    assert lines[3] == "== Ekman F1: 0.6445 -> 0.641"
