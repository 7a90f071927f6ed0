"""Aviva's line of care: said when the router read a painful feeling put strongly, never for a calm question."""

from __future__ import annotations

from dataclasses import replace

from personamesh.v1 import persona_pb2
from services.aviva.care import care_line
from services.aviva.compose import compose_draft
from tests.personas.support import answered_from
from tests.personas.test_aviva_compose import SCP_P


def _routing(
    group: str, score: float, polarity: float, intensity: float, crisis: bool = False
) -> persona_pb2.RoutingDecision:
    return persona_pb2.RoutingDecision(
        ekman_emotions=[persona_pb2.EmotionScore(label=group, score=score)],
        sentiment=persona_pb2.Sentiment(polarity=polarity, intensity=intensity),
        crisis=crisis,
    )


def test_a_painful_feeling_put_strongly_gets_one_line_and_a_calm_question_none() -> None:
    assert care_line(_routing("anger", 0.84, -0.89, 0.89)) == "That sounds frustrating."
    assert care_line(_routing("fear", 0.7, -0.6, 0.7)) == "That sounds stressful."
    assert care_line(_routing("neutral", 0.75, 0.0, 0.1)) == ""
    assert care_line(_routing("anger", 0.6, -0.3, 0.3)) == ""  # "a bit annoying": not distress
    assert care_line(_routing("joy", 0.9, 0.8, 0.9)) == ""
    assert care_line(_routing("sadness", 0.9, -0.9, 0.9, crisis=True)) == ""  # a crisis has its own answer
    assert care_line(persona_pb2.RoutingDecision()) == ""  # no routing decision at all


def test_the_line_comes_first_and_the_answer_is_unchanged_after_it() -> None:
    question = "ugh, scp -p 2222 keeps saying 2222 is not a file, I'm so fed up"
    material = answered_from(question, SCP_P, "debugging", score=0.8)
    plain = compose_draft(material)
    cared = compose_draft(replace(material, care="That sounds frustrating."))
    assert cared == "That sounds frustrating.\n\n" + plain, cared
    assert plain.startswith("`scp -P` (`-P port`)")
