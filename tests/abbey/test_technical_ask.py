"""When Abbey treats a message as a technical ask (the steps from the documentation, after a line of care)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReading
from services.abbey.language import asks_for_something
from services.abbey.technical import TechnicalHead, needs_steps
from services.abbey.training.technical import DATA, MAX_CARE_READ
from services.abi.training.data import is_held_out
from services.common.encoder import DIMENSION, SentenceEncoder
from services.common.generation.focus import focus_query
from services.common.generation.grounding import Retrieved

ROOT = Path(__file__).resolve().parents[2]
FROZEN = (
    ROOT / "tests" / "blind" / "abbey_technical_distress_v1.jsonl",
    ROOT / "tests" / "blind" / "abbey_statements_blind_v1.jsonl",
    ROOT / "tests" / "selection" / "abbey_technical_distress_selection_v1.jsonl",
)
# A weak passage was retrieved (under the strong-knowledge score): the message's own words decide.
WEAK = Retrieved([index_pb2.KnowledgeHit(title="man git-restore(1)", text="restore", score=0.3)], True)
PANIC = EmotionReading("anxious", 0.8, {"anxious": 0.8}, -0.6, "routing")
HEAD = TechnicalHead.load()
ENCODER = SentenceEncoder(threads=1)


def _general(text: str) -> persona_pb2.PersonaRequest:
    return persona_pb2.PersonaRequest(content=text, routing=persona_pb2.RoutingDecision(query_type="general"))


def _searched(text: str) -> Retrieved:
    """What Abbey's knowledge search returns: a weak passage and the vector of the message's ask."""
    vector = ENCODER.encode([focus_query(text)]).vectors[0].tolist()
    return Retrieved(list(WEAK.hits), True, vector)


@pytest.mark.parametrize(
    ("text", "technical"),
    [
        # The software named before the ask: had got care alone, no steps.
        ("I'm panicking, I accidentally deleted a branch in git with all my work, how do I get it back?", True),
        ("my deploy broke prod and my manager is furious, how do I roll back a kubernetes deployment", True),
        # A life, not software.
        ("I'm panicking, my sister won't talk to me, how do I fix things with her?", False),
        ("I'm so stressed about my exam tomorrow", False),
    ],
)
def test_without_a_vector_an_ask_naming_software_is_technical_whatever_abis_query_type(
    text: str, technical: bool
) -> None:
    assert needs_steps(_general(text), PANIC, WEAK, asks_for_something(text), HEAD) is technical


@pytest.mark.parametrize(
    "text",
    [
        # Found asking `make run`: each got care alone, no steps.
        "ugh I'm panicking, I ran git reset --hard and lost my work, can I get it back?",
        "I feel so stupid, I can't figure out how to sort a dictionary by value",
        "I'm exhausted and my tar extract keeps putting files in the wrong folder",
        "I'm so stressed, my python script throws KeyError and the demo is in an hour",
    ],
)
def test_a_technical_problem_told_in_distress_gets_steps(text: str) -> None:
    assert needs_steps(_general(text), PANIC, _searched(text), asks_for_something(text), HEAD)


@pytest.mark.parametrize(
    "text",
    [
        "I'm panicking, my sister won't talk to me, how do I fix things with her?",
        "I'm so stressed about my exam tomorrow",
        "my cat knocked my coffee onto the laptop and now it smells burnt, what a day",
        "the release went badly and I can't stop thinking about the look on my lead's face",
        # Everyday news that asks nothing: the head had given both steps ("I don't have a trustworthy source").
        "Booked a table for six at the Italian place on Saturday.",
        "Our team meeting's been moved to 2pm on Thursday.",
    ],
)
def test_care_alone_for_a_life_or_a_feeling_about_technology(text: str) -> None:
    assert not needs_steps(_general(text), PANIC, _searched(text), asks_for_something(text), HEAD)


def test_the_head_was_fitted_under_its_rule_on_no_frozen_message() -> None:
    assert len(HEAD.weights) == DIMENSION
    assert HEAD.card["out_of_fold"]["written_care_only_given_steps"] <= MAX_CARE_READ
    lines = [line for path in DATA for line in path.read_text().splitlines()]
    fitted = {" ".join(json.loads(line)["text"].lower().split()) for line in lines}
    for path in FROZEN:
        frozen = {" ".join(json.loads(line)["text"].lower().split()) for line in path.read_text().splitlines()}
        assert fitted & frozen == set()
    assert [text for text in fitted if is_held_out(text)] == []
