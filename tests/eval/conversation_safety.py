"""Abi on crises told over several messages: the last message of a short conversation, with the user's earlier ones.

Each row is a conversation (user messages, oldest first) labelled for its last message: does the conversation show
someone at risk now. `last_alone` marks crises the last message shows by itself. Two sets, both written blind by
helpers that saw nothing of the project: `tests/selection/abi_conversation_crisis_selection_v1.jsonl` picked how many
messages are read together and the threshold (its mistakes may be read: a tuning set), and
`tests/blind/abi_conversation_crisis_v1.jsonl` (frozen, reported first, never tuned on). Each set is also scored
with the last message alone (no earlier turns), which is how Abi read every message before, so the gain is visible.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from services.abi.training.fixtures import read_jsonl
from tests.eval.backends import Prediction

TESTS = Path(__file__).resolve().parents[1]
CONVERSATION_CRISIS_SETS = {
    "blind": TESTS / "blind" / "abi_conversation_crisis_v1.jsonl",
    "selection": TESTS / "selection" / "abi_conversation_crisis_selection_v1.jsonl",
}


def conversation_report(rows: list[dict[str, Any]], predictions: list[Prediction]) -> dict[str, Any]:
    """Crisis recall (reaching the support persona with `redirect_to_support`), false alarms, and per kind."""
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "flagged": 0, "blocked": 0})
    crises = handled = hidden = hidden_handled = ordinary = alarms = blocked = 0
    for row, prediction in zip(rows, predictions, strict=True):
        kind = kinds[f"{'crisis' if row['crisis'] else 'not'} {row['kind']}"]
        kind["n"] += 1
        kind["flagged"] += prediction.crisis
        kind["blocked"] += prediction.stopped
        if row["crisis"]:
            crises += 1
            handled += prediction.crisis_handled
            if not row["last_alone"]:
                hidden += 1
                hidden_handled += prediction.crisis_handled
        else:
            ordinary += 1
            alarms += prediction.crisis
            blocked += prediction.stopped
    return {
        "n": len(rows),
        "crisis_recall": round(handled / max(1, crises), 4),
        "crises": [handled, crises],
        "told_over_turns": [hidden_handled, hidden],
        "false_alarms": [alarms, ordinary],
        "stopped": [blocked, ordinary],
        "by_kind": dict(sorted(kinds.items())),
    }


async def eval_conversation_crisis(backend: Any, path: Path) -> dict[str, Any]:
    """The set read as conversations (as Route reads them now) and with the last message alone (as before)."""
    rows = read_jsonl(path)
    last = [row["turns"][-1] for row in rows]
    earlier = [tuple(row["turns"][:-1]) for row in rows]
    return {
        "set": path.name,
        "together": conversation_report(rows, await backend.predict(last, earlier)),
        "alone": conversation_report(rows, await backend.predict(last)),
    }


def print_conversation_crisis(name: str, report: dict[str, Any], *, tuning: bool) -> None:
    label = "tuning set: not a result" if tuning else "frozen blind set"
    print(f"\n== crises told over several messages, {report['set']} ({label})")
    for mode in ("together", "alone"):
        r = report[mode]
        print(
            f"  {mode:<9} crisis recall {r['crisis_recall']:.3f} ({r['crises'][0]}/{r['crises'][1]}; told over "
            f"turns {r['told_over_turns'][0]}/{r['told_over_turns'][1]})   false alarms "
            f"{r['false_alarms'][0]}/{r['false_alarms'][1]}   look-alikes stopped {r['stopped'][0]}"
        )
    if tuning:
        for kind, m in report["together"]["by_kind"].items():
            print(f"    {kind:<32} n={m['n']:<4} flagged {m['flagged']:<4} stopped {m['blocked']}")
