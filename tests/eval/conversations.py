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
from tests.eval.situations import print_tally, tally

CONVERSATIONS_SET = Path(__file__).resolve().parents[1] / "selection" / "abbey_conversations_selection_v1.jsonl"
# 120 more, in the same kinds, written later by another helper and frozen before they were run: reported first, never
# read (tests/blind/README.md, "Blind conversations for Abbey").
CONVERSATIONS_BLIND = Path(__file__).resolve().parents[1] / "blind" / "abbey_conversations_blind_v1.jsonl"


async def eval_conversations(
    url: str, api_key: str = "", concurrency: int = 4, path: Path = CONVERSATIONS_SET
) -> dict[str, Any]:
    """The acknowledged share of the last messages, overall and by kind."""
    rows = read_rows(path)
    answers = await ask_abbey(url, rows, "conversations", api_key, concurrency)
    return tally(rows, answers, lambda row: ["all", f"kind {row['kind']}"])


def print_conversations(report: dict[str, Any], path: Path = CONVERSATIONS_SET) -> None:
    split = "blind" if path == CONVERSATIONS_BLIND else "selection"
    heading = f"conversations ({path.name}, {split}, n={{n}}, errors {{errors}}): last message"
    print_tally(heading + " acknowledged {acknowledged} ({share:.3f})", report)
