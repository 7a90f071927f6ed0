"""Abbey at the end of a short conversation: does she acknowledge how the writer feels at the last message, given the
earlier ones? People vent over several messages ("I've had the worst week" / "my car broke down on monday ..."), and
a message that reads as a plain statement alone is upset in context; a conversation can also move on to a plain
request, or cheer up.

The set is tests/selection/abbey_conversations_selection_v1.jsonl: 100 conversations of 2-4 user messages, the Ekman
group felt at the last one and its `kind` (carried, moved_on, shift, steady), written by a helper that never saw
Abbey, frozen before any change it judges. It chooses between versions of Abbey (a selection set, not a result).
Each conversation goes to POST /api/v1/chat/abbey in one session of its own (`empathy.ask_abbey`); the last answer
is acknowledged as the empathy task counts it, a neutral last message when she answers to no feeling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.eval.empathy import ask_abbey, read_rows
from tests.eval.situations import acknowledged

CONVERSATIONS_SET = Path(__file__).resolve().parents[1] / "selection" / "abbey_conversations_selection_v1.jsonl"


async def eval_conversations(url: str, api_key: str = "", concurrency: int = 4) -> dict[str, Any]:
    """The acknowledged share of the last messages, overall and by kind."""
    rows = read_rows(CONVERSATIONS_SET)
    answers = await ask_abbey(url, rows, "conversations", api_key, concurrency)
    groups: dict[str, list[bool]] = {}
    errors = 0
    for row, answer in zip(rows, answers, strict=True):
        if answer is None:
            errors += 1
            continue
        for key in ("all", f"kind {row['kind']}"):
            groups.setdefault(key, []).append(acknowledged(row, answer))
    report: dict[str, Any] = {"errors": errors}
    for key, hits in groups.items():
        report[key] = {"n": len(hits), "acknowledged": sum(hits), "share": round(sum(hits) / len(hits), 4)}
    return report


def print_conversations(report: dict[str, Any]) -> None:
    overall = report.get("all", {"n": 0, "acknowledged": 0, "share": 0.0})
    print(
        f"\n== conversations ({CONVERSATIONS_SET.name}, selection, n={overall['n']}, errors {report['errors']}): "
        f"last message acknowledged {overall['acknowledged']} ({overall['share']:.3f})"
    )
    for key, figures in report.items():
        if isinstance(figures, dict) and key != "all":
            print(f"  {key:<18} {figures['acknowledged']:>3} of {figures['n']:<3} {figures['share']:.3f}")
