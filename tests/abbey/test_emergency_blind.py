"""The frozen blind emergency sets, written on 2026-12-04 by two helpers that saw none of the project:
tests/blind/emergency_v1.jsonl (240 messages) after the patterns (`services/common/safety/emergency.py`) were frozen
and before the learned head was trained (its training messages come from a third helper), and emergency_v2.jsonl
(200) after the head was chosen. For reporting, never tuning: the test prints totals by kind, never a message.
`pytest -s tests/abbey/test_emergency_blind.py`.

The gates hold the figures first measured (services/abbey/README.md), so a change that recognises fewer
emergencies or raises more false alarms fails here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from services.common.encoder import SentenceEncoder
from services.common.safety.emergency import EmergencyHead, emergency_kind

BLIND = Path(__file__).resolve().parents[1] / "blind"
TRAINING = tuple(
    Path(__file__).resolve().parents[2] / f"services/common/safety/training/data/emergency_train_v{n}.jsonl"
    for n in (1, 2)
)


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(rows: list[dict[str, Any]], found: list[bool]) -> dict[str, Any]:
    by_kind: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for row, hit in zip(rows, found, strict=True):
        totals[row["kind"]] += 1
        by_kind[row["kind"]] += hit
    emergencies = [hit for row, hit in zip(rows, found, strict=True) if row["emergency"]]
    others = [hit for row, hit in zip(rows, found, strict=True) if not row["emergency"]]
    return {
        "recognised": f"{sum(emergencies)} of {len(emergencies)}",
        "false_alarms": f"{sum(others)} of {len(others)}",
        "by_kind": {kind: f"{by_kind[kind]} of {totals[kind]}" for kind in sorted(totals)},
    }


@pytest.mark.parametrize(
    ("name", "sizes", "recognised_at_least", "false_alarms_at_most"),
    [
        # The shipped head, 2026-12-04: 84 of 110 and 12 of 130 (patterns alone: 32 and 6; a first head fitted
        # without the GoEmotions chatter: 84 and 7, not shipped: services/abbey/README.md says why). This set
        # took part in that choice; emergency_v2 did not.
        ("emergency_v1.jsonl", (110, 130), 82, 14),
        # Written after the head was chosen, run once: 65 of 80 and 7 of 120 (patterns alone: 24 and 5). The head
        # refitted with emergency_train_v2 (2026-12-06, services/abbey/README.md): v1 90 of 110 and 10 of 130, v2 67 of
        # 80 and 6 of 120, each run once; the gates stay where they were.
        ("emergency_v2.jsonl", (80, 120), 63, 9),
    ],
)
def test_emergencies_of_a_blind_set_are_recognised_without_alarming_the_rest(
    name: str, sizes: tuple[int, int], recognised_at_least: int, false_alarms_at_most: int
) -> None:
    """The gates keep two messages of slack each way: another CPU's int8 kernels may move a probability near the
    threshold."""
    rows = read(BLIND / name)
    vectors = SentenceEncoder(threads=1).encode([row["text"] for row in rows]).vectors
    head = EmergencyHead.load()
    patterns = [bool(emergency_kind(row["text"])) for row in rows]
    combined = [
        bool(emergency_kind(row["text"], head, vector.tolist())) for row, vector in zip(rows, vectors, strict=True)
    ]
    figures = {"patterns only": measure(rows, patterns), "patterns and head": measure(rows, combined)}
    print(name, json.dumps(figures, indent=2))
    emergencies = sum(row["emergency"] for row in rows)
    assert (emergencies, len(rows) - emergencies) == sizes
    recognised = sum(hit for row, hit in zip(rows, combined, strict=True) if row["emergency"])
    false_alarms = sum(hit for row, hit in zip(rows, combined, strict=True) if not row["emergency"])
    assert recognised >= recognised_at_least and false_alarms <= false_alarms_at_most, figures


def test_no_training_message_is_in_the_blind_set() -> None:
    def texts(path: Path) -> set[str]:
        lines = path.read_text(encoding="utf-8").splitlines()
        return {" ".join(json.loads(line)["text"].lower().split()) for line in lines if line.strip()}

    training = set().union(*(texts(path) for path in TRAINING))
    assert not training & (texts(BLIND / "emergency_v1.jsonl") | texts(BLIND / "emergency_v2.jsonl"))
