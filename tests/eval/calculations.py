"""Calculations asked in words (services/common/calculation.py), in process: found, computed right, and not taken
where there is none.

The blind set is tests/blind/calculations_blind_v1.jsonl (200: 120 calculations in eight kinds with their expected
numbers, 80 messages with numbers or units that ask nothing computable; frozen, for reporting only: no row and no
mistake is read to change the detector), reported first; then the tuning set
tests/selection/calculations_selection_v1.jsonl (240). A calculation is right when the number the detector states is
within 0.5% of the expected one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from services.common.calculation import calculate
from tests.eval.empathy import read_rows

TESTS = Path(__file__).resolve().parents[1]
CALCULATIONS_BLIND = TESTS / "blind" / "calculations_blind_v1.jsonl"
# The tuning set (its rows may be read), reported after the blind one.
CALCULATIONS_SELECTION = TESTS / "selection" / "calculations_selection_v1.jsonl"
TOLERANCE = 0.005
_STATED = re.compile(r"(?:=| is )\s*(-?[\d,]*\.?\d+(?:e[+-]?\d+)?)[^=]*$")


def stated_number(sentence: str) -> float | None:
    """The result a calculation's sentence states ("15% of 240 is 36." -> 36.0, "1 inch = 2.54 cm." -> 2.54)."""
    found = _STATED.search(sentence)
    return float(found[1].replace(",", "")) if found else None


def eval_calculations(path: Path = CALCULATIONS_BLIND) -> dict[str, Any]:
    """Per kind: how many found (or, for the messages that are none, taken), and how many computed right."""
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "found": 0, "right": 0})
    for row in read_rows(path):
        calculation = calculate(row["text"])
        counts = kinds[row["kind"]]
        counts["n"] += 1
        counts["found"] += calculation is not None
        if calculation is not None and row["is_calculation"]:
            number, expected = stated_number(calculation.sentence), float(row["expected"])
            counts["right"] += number is not None and abs(number - expected) <= TOLERANCE * max(1e-9, abs(expected))
    calculations = [counts for kind, counts in kinds.items() if kind != "not_calculation"]
    return {
        "set": path.name,
        "calculations": sum(c["n"] for c in calculations),
        "found": sum(c["found"] for c in calculations),
        "right": sum(c["right"] for c in calculations),
        "others": kinds["not_calculation"]["n"],
        "others_taken": kinds["not_calculation"]["found"],
        "by_kind": dict(kinds),
    }


def print_calculations(report: dict[str, Any]) -> None:
    print(
        f"\n== calculations ({report['set']}): {report['found']} of {report['calculations']} found, "
        f"{report['right']} computed right; {report['others_taken']} of {report['others']} other messages taken"
    )
    for kind, counts in sorted(report["by_kind"].items()):
        print(f"  {kind:<18} n {counts['n']:>3}  found {counts['found']:>3}  right {counts['right']:>3}")
