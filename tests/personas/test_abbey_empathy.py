"""Abbey's emotion reading and acknowledgements, checked on public data (no processes).

The cue lexicon was extended looking at `dev` rows of eval/routing.jsonl only; the figures on
`test` are printed. "Acknowledgement rate" is a proxy for empathy: the share of messages that
the routing data sends to Abbey (EmpatheticDialogues, counsel-chat, SimpleSafetyTests) whose answer
opens by acknowledging the person. No public dataset here scores empathy itself.
"""

from __future__ import annotations

import json

import pytest

from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReader
from services.abbey.empathy import acknowledge, is_personal_sharing
from services.abi.training.fixtures import SHARED

ROUTING = SHARED / "eval" / "routing.jsonl"
READER = EmotionReader()


def test_acknowledgement_rate_on_abbey_messages() -> None:
    rows = [json.loads(line) for line in ROUTING.read_text(encoding="utf-8").split("\n") if line.strip()]
    abbey = [row for row in rows if row["label"] == "abbey" and row["split"] == "test"]
    acknowledged = sum(
        bool(acknowledge(READER.read_text(row["text"]), row["text"], 0.8, personal=is_personal_sharing(row["text"])))
        for row in abbey
    )
    rate = acknowledged / len(abbey)
    print(f"abbey acknowledgement rate on routing test rows labelled abbey: {rate:.3f} ({len(abbey)} rows)")
    assert rate >= 0.9


def test_questions_get_no_listening_acknowledgement() -> None:
    reading = READER.read_text("When was the Eiffel Tower completed?")
    assert reading.primary == "neutral"
    text = "When was the Eiffel Tower completed?"
    assert acknowledge(reading, text, 0.8, personal=is_personal_sharing(text)) == ""


@pytest.mark.parametrize(
    ("label", "expected"),
    [("nervousness", "anxious"), ("fear", "anxious"), ("grief", "sad"), ("annoyance", "frustrated"),
     ("disappointment", "disappointed"), ("curiosity", "curious"), ("stressed", "stressed"), ("joy", "happy")],
)  # fmt: skip
def test_routing_labels_fold_into_the_ten_emotions(label: str, expected: str) -> None:
    routing = persona_pb2.RoutingDecision(emotions=[persona_pb2.EmotionScore(label=label, score=0.8)])
    reading = READER.read(persona_pb2.PersonaRequest(content="x", routing=routing))
    assert reading.primary == expected and reading.source == "routing"


def test_strength_picks_the_acknowledgement_tier() -> None:
    mild = READER.read_text("I am a bit sad")
    strong = READER.read_text("I feel so alone and hopeless since my dog died!!")
    assert mild.intensity < strong.intensity
    assert acknowledge(strong, "x", 0.8) != acknowledge(mild, "x", 0.8)


def test_neutral_follow_up_keeps_the_conversations_feeling() -> None:
    turns = [
        persona_pb2.Turn(role=persona_pb2.ROLE_USER, content="I feel so alone since my dog died"),
        persona_pb2.Turn(role=persona_pb2.ROLE_ASSISTANT, content="I'm so sorry."),
    ]
    reading = READER.read(persona_pb2.PersonaRequest(content="We had him for twelve years.", recent_turns=turns))
    assert reading.primary == "sad" and reading.source == "conversation"
    assert 0.0 < reading.intensity < READER.read_text(turns[0].content).intensity
    calm = READER.read(persona_pb2.PersonaRequest(content="We had him for twelve years."))
    assert calm.primary == "neutral"
