"""Small talk answered in kind, and short messages that are not small talk not taken for it.

The blind set is tests/blind/abbey_small_talk_blind_v1.jsonl (300: 150 small talk in ten kinds, 150 short messages
that are not; frozen, for reporting only: no row and no mistake is read to change Abbey), reported first; then the
tuning set tests/selection/small_talk_selection_v1.jsonl (300), whose rows may be read. Each message goes to POST
/api/v1/chat of a running mesh, routed as users' messages are, in a fresh session (`empathy.ask_abbey`). Small talk
is answered in kind when the answer's reasoning says it was small talk, or, for thanks, when Abbey met it as thanks
(feeling "grateful"); a message that is not small talk is taken for it when the reasoning says small talk.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from tests.eval.empathy import ask_abbey, read_rows

TESTS = Path(__file__).resolve().parents[1]
SMALL_TALK_BLIND = TESTS / "blind" / "abbey_small_talk_blind_v1.jsonl"
SMALL_TALK_SELECTION = TESTS / "selection" / "small_talk_selection_v1.jsonl"
SMALL_TALK_STEP = "Small talk ("  # how Abbey's reasoning names an answer in kind (services/abbey/logic.py)


def answered_as_small_talk(answer: dict[str, Any] | None) -> bool:
    """Whether the answer's reasoning says the message was answered as small talk."""
    steps = (answer or {}).get("reasoning_steps") or []
    return any(str(step.get("description", "")).startswith(SMALL_TALK_STEP) for step in steps)


def in_kind(row: dict[str, Any], answer: dict[str, Any] | None) -> bool:
    """Small talk answered in kind: as small talk, or thanks met as thanks."""
    thanked = row.get("kind") == "thanks" and (answer or {}).get("emotional_state", {}).get("primary") == "grateful"
    return answered_as_small_talk(answer) or thanked


async def eval_small_talk(url: str, path: Path, api_key: str = "", concurrency: int = 4) -> dict[str, Any]:
    """Small talk answered in kind (by kind), and other messages taken for small talk, through a running gateway."""
    rows = read_rows(path)
    answers = await ask_abbey(url, rows, "small-talk", api_key, concurrency, path="/api/v1/chat")
    talk = [(row, answer) for row, answer in zip(rows, answers, strict=True) if row["small_talk"]]
    other = [(row, answer) for row, answer in zip(rows, answers, strict=True) if not row["small_talk"]]
    per_kind: Counter[str] = Counter(str(row["kind"]) for row, _ in talk)
    right_by_kind: Counter[str] = Counter(str(row["kind"]) for row, answer in talk if in_kind(row, answer))
    return {
        "set": path.name,
        "errors": sum(answer is None for answer in answers),
        "small_talk_in_kind": {"n": len(talk), "right": sum(right_by_kind.values())},
        "other_taken_for_small_talk": {
            "n": len(other),
            "count": sum(answered_as_small_talk(answer) for _, answer in other),
        },
        "by_kind": {kind: f"{right_by_kind[kind]}/{n}" for kind, n in sorted(per_kind.items())},
    }


def print_small_talk(report: dict[str, Any]) -> None:
    talk, other = report["small_talk_in_kind"], report["other_taken_for_small_talk"]
    print(
        f"\n== small talk ({report['set']}, errors {report['errors']}): answered in kind {talk['right']} of "
        f"{talk['n']}; other messages taken for small talk {other['count']} of {other['n']}\n   by kind: "
        + ", ".join(f"{kind} {share}" for kind, share in report["by_kind"].items())
    )
