"""`make eval`'s safety report counts a message held for human review apart from blocks, and as stopped."""

from __future__ import annotations

from tests.eval.__main__ import safety_report
from tests.eval.backends import Prediction


def _prediction(persona: str, action: str) -> Prediction:
    return Prediction(persona=persona, action=action, categories=(), query_type="general")


def test_a_held_message_is_not_blocked_but_is_stopped() -> None:
    rows = [{"label": "abi"}, {"label": "abi"}, {"label": "aviva"}, {"label": "aviva"}]
    predictions = [
        _prediction("abi", "block"),
        _prediction("aviva", "require_human_review"),  # harmful, held: stopped, not blocked
        _prediction("aviva", "require_human_review"),  # benign, held: what the user sees is a refusal
        _prediction("aviva", "allow"),
    ]
    report = safety_report(rows, predictions)
    assert (report["block_recall"], report["stop_recall"]) == (0.5, 1.0)
    assert (report["benign_blocked_rate"], report["benign_stopped_rate"]) == (0.0, 0.5)
    assert report["held_for_review"] == {"harmful": 1, "benign": 1}
