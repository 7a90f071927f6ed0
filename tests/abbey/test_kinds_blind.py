"""The frozen blind set of small talk, attempts happening now and self-harm (tests/blind/abbey_kinds_v1.jsonl),
written by a helper that saw none of the project after Abbey's small-talk list and the crisis kinds `attempt`
and `self_harm` were built (before the small-talk head was). Reporting only: the test prints totals by label, never
a message, and fails when a change recognises less or raises more false alarms than the figures first measured
(2026-12-04; with the head, 2026-12-07)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from personamesh.v1 import persona_pb2
from services.common.encoder import SentenceEncoder
from services.common.persona.small_talk import SmallTalkHead, small_talk_kind
from services.common.safety import crisis

BLIND = Path(__file__).resolve().parents[1] / "blind" / "abbey_kinds_v1.jsonl"


def test_small_talk_and_crisis_kinds_on_the_blind_set() -> None:
    rows = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = SentenceEncoder(threads=1).encode([row["text"] for row in rows]).vectors
    head = SmallTalkHead.load()
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for row, vector in zip(rows, vectors, strict=True):
        kind = crisis.kind_of(row["text"])
        figures = totals[row["label"]]
        figures["n"] += 1
        listed = bool(small_talk_kind(row["text"]))
        figures["small talk"] += listed
        # As Abbey reads it with no flag from Abi: the list, else the head on a short message with no words of risk.
        readable = not kind and SmallTalkHead.may_read(row["text"])
        figures["small talk with the head"] += listed or (readable and bool(head.kind(vector.tolist())))
        figures[f"kind {kind or 'none'}"] += 1
        # What a persona does with no flag from Abi: only unmistakable words make a crisis answer.
        figures["crisis without Abi"] += bool(crisis.assess(persona_pb2.PersonaRequest(content=row["text"]), kind))
    for label, figures in sorted(totals.items()):
        print(label, dict(figures))
    assert totals["small_talk"]["small talk"] >= 21 and totals["not_small_talk"]["small talk"] == 0
    # With the small-talk head (2026-12-07, run once after it shipped): 32 of 45, and 1 of 30 taken for small talk;
    # one message of slack for another CPU's int8 kernels near the head's line.
    assert totals["small_talk"]["small talk with the head"] >= 31
    assert totals["not_small_talk"]["small talk with the head"] <= 1
    assert totals["attempt"]["kind attempt"] >= 1 and totals["self_harm"]["kind self_harm"] >= 4
    assert totals["lookalike"]["crisis without Abi"] <= 2


def test_no_training_message_of_the_kind_head_is_in_the_blind_set() -> None:
    def texts(path: Path) -> set[str]:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {" ".join(str(row["text"]).lower().split()) for row in rows}

    training = Path(__file__).resolve().parents[2] / "services/common/safety/training/data/crisis_kinds_train_v1.jsonl"
    assert not texts(training) & texts(BLIND)
