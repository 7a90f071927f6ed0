"""The frozen blind emergency set (tests/blind/emergency_v1.jsonl): 240 messages written on 2026-12-04 by a helper
that saw none of the project, after the patterns of `services/abbey/emergency.py` were frozen and before the
learned head was trained (its training messages come from another helper). For reporting, never tuning: the test
prints totals by kind, never a message. `pytest -s tests/abbey/test_emergency_blind.py`.

The gates hold the figures first measured (services/abbey/README.md), so a change that recognises fewer
emergencies or raises more false alarms fails here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from services.abbey.emergency import EmergencyHead, emergency_kind
from services.common.encoder import SentenceEncoder

BLIND = Path(__file__).resolve().parents[1] / "blind" / "emergency_v1.jsonl"
TRAINING = Path(__file__).resolve().parents[2] / "services" / "abbey" / "training" / "data" / "emergency_train_v1.jsonl"


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


def test_emergencies_of_the_blind_set_are_recognised_without_alarming_the_rest() -> None:
    rows = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = SentenceEncoder(threads=1).encode([row["text"] for row in rows]).vectors
    head = EmergencyHead.load()
    patterns = [bool(emergency_kind(row["text"])) for row in rows]
    combined = [
        bool(emergency_kind(row["text"], head, vector.tolist())) for row, vector in zip(rows, vectors, strict=True)
    ]
    figures = {"patterns only": measure(rows, patterns), "patterns and head": measure(rows, combined)}
    print(json.dumps(figures, indent=2))
    emergencies = sum(row["emergency"] for row in rows)
    assert (emergencies, len(rows) - emergencies) == (110, 130)
    recognised = sum(hit for row, hit in zip(rows, combined, strict=True) if row["emergency"])
    false_alarms = sum(hit for row, hit in zip(rows, combined, strict=True) if not row["emergency"])
    assert recognised >= RECOGNISED_AT_LEAST and false_alarms <= FALSE_ALARMS_AT_MOST, figures


# The shipped head on this set, 2026-12-04: 84 of 110 and 12 of 130 (patterns alone: 32 and 6; the first head,
# fitted without the GoEmotions chatter, 84 and 7: see services/abbey/README.md for why it was not shipped).
# Two messages of slack each way: another CPU's int8 kernels may move a probability near the threshold.
RECOGNISED_AT_LEAST = 82
FALSE_ALARMS_AT_MOST = 14


def test_no_training_message_is_in_the_blind_set() -> None:
    def texts(path: Path) -> set[str]:
        lines = path.read_text(encoding="utf-8").splitlines()
        return {" ".join(json.loads(line)["text"].lower().split()) for line in lines if line.strip()}

    assert not texts(TRAINING) & texts(BLIND)
