"""Abbey on sarcasm: a complaint said in words of praise is not met with cheer; good news is.

The blind set is tests/blind/abbey_sarcasm_blind_v1.jsonl (160: 100 sarcastic, 60 sincere; frozen, for reporting
only: no row and no mistake is read to change Abbey), reported first; then the tuning set
tests/selection/sarcasm_selection_v1.jsonl (150), whose rows may be read. Each message goes to POST
/api/v1/chat/abbey of a running mesh in a fresh session (`empathy.ask_abbey`): a sarcastic one is right when Abbey's
feeling (`emotional_state.primary`) is not happy, excited or grateful, a sincere one when it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.eval.empathy import ask_abbey, read_rows
from tests.eval.metrics import answers_where

TESTS = Path(__file__).resolve().parents[1]
SARCASM_BLIND = TESTS / "blind" / "abbey_sarcasm_blind_v1.jsonl"
SARCASM_SELECTION = TESTS / "selection" / "sarcasm_selection_v1.jsonl"
GOOD_NEWS = frozenset({"happy", "excited", "grateful"})  # grateful: thanks are good news too


async def eval_sarcasm(url: str, path: Path, api_key: str = "", concurrency: int = 4) -> dict[str, Any]:
    """Sarcastic messages not cheered and sincere ones read as good news, of each."""
    rows = read_rows(path)
    answers = await ask_abbey(url, rows, "sarcasm", api_key, concurrency)
    report: dict[str, Any] = {"set": path.name, "errors": sum(answer is None for answer in answers)}
    for sarcastic, key in ((True, "sarcastic_not_cheered"), (False, "sincere_read_as_good_news")):
        counted = answers_where(rows, answers, "sarcastic", sarcastic, _cheered)
        report[key] = {"n": counted["n"], "right": counted["n"] - counted["count"] if sarcastic else counted["count"]}
    return report


def _cheered(answer: dict[str, Any]) -> bool:
    return str((answer.get("emotional_state") or {}).get("primary", "")) in GOOD_NEWS


def print_sarcasm(report: dict[str, Any]) -> None:
    not_cheered, sincere = report["sarcastic_not_cheered"], report["sincere_read_as_good_news"]
    print(
        f"\n== sarcasm ({report['set']}, errors {report['errors']}): sarcastic not cheered {not_cheered['right']} "
        f"of {not_cheered['n']}; sincere read as good news {sincere['right']} of {sincere['n']}"
    )
