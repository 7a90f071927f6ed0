"""Abbey's situation head: fitted under its rule on messages that share none with the blind set that judges it, and
read only for a statement that Abi and Abbey's own reading found no feeling in."""

from __future__ import annotations

import json
from pathlib import Path

from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReader, from_situation, needs_second_opinion, with_second_opinion
from services.abbey.empathy import tone_for
from services.abbey.situation import SituationHead
from services.abbey.training.situations import DATA, MAX_NEUTRAL_READ
from services.abi.training.data import is_held_out
from services.common.encoder import DIMENSION, SentenceEncoder
from tests.eval.situations import SITUATIONS_SET

ENCODER = SentenceEncoder(threads=1)
HEAD = SituationHead.load()
READER = EmotionReader()


def _texts(path: Path) -> set[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {" ".join(str(row["text"]).lower().split()) for row in rows}


def _neutral(text: str) -> persona_pb2.PersonaRequest:
    """A message as Abi routes a story it finds no feeling in."""
    routing = persona_pb2.RoutingDecision(
        emotions=[persona_pb2.EmotionScore(label="neutral", score=0.9)],
        ekman_emotions=[persona_pb2.EmotionScore(label="neutral", score=0.9)],
    )
    return persona_pb2.PersonaRequest(content=text, routing=routing)


def _read(text: str) -> tuple[str, float]:
    reading = READER.read(_neutral(text))
    vector = ENCODER.encode([text]).vectors[0].tolist()
    situated = from_situation(reading, text, HEAD.feeling(vector))
    return situated.primary, situated.intensity


def test_no_training_message_is_a_blind_message() -> None:
    fitted = set().union(*(_texts(path) for path in DATA))
    assert fitted & _texts(SITUATIONS_SET) == set()
    assert [text for text in fitted if is_held_out(text)] == []  # nor one of any other held-out set


def test_the_head_was_fitted_under_its_rule_and_reads_the_index_vector() -> None:
    assert all(len(row) == DIMENSION for row in HEAD.head.weights)
    assert HEAD.head.card["out_of_fold"]["neutral_read_as_a_feeling"] <= MAX_NEUTRAL_READ
    assert HEAD.feeling(None) is None  # no vector (the index unreachable): Abbey's reading stands


def test_a_painful_situation_told_without_a_feeling_word_is_met_with_support() -> None:
    primary, intensity = _read("we had to put our cat down this morning")
    assert primary == "sad"
    assert tone_for(primary, intensity, crisis=False, question=False) == persona_pb2.TONE_SUPPORTIVE
    assert _read("my son said his first word today")[0] == "happy"


def test_a_statement_with_no_stake_and_a_plain_question_stay_neutral() -> None:
    assert _read("my flat is on the second floor")[0] == "neutral"
    assert _read("what's a good recipe for lentil soup?")[0] == "neutral"


def test_a_feeling_abi_or_the_words_found_is_kept() -> None:
    reading = READER.read(_neutral("I'm so relieved, the interview went well"))
    assert reading.primary != "neutral"
    assert from_situation(reading, "I'm so relieved, the interview went well", ("sadness", 0.99)) == reading


def _read_by_abi_as(text: str, label: str, group: str) -> tuple[str, str]:
    """Abbey's reading of `text` when Abi reads `label` (in Ekman `group`), then with the head's second opinion."""
    routing = persona_pb2.RoutingDecision(
        emotions=[persona_pb2.EmotionScore(label=label, score=0.7)],
        ekman_emotions=[persona_pb2.EmotionScore(label=group, score=0.7)],
    )
    reading = READER.read(persona_pb2.PersonaRequest(content=text, routing=routing))
    if not needs_second_opinion(reading, text):  # as Abbey's plan asks it, before fetching the vector
        return reading.primary, reading.primary
    vector = ENCODER.encode([text]).vectors[0].tolist()
    return reading.primary, with_second_opinion(reading, text, HEAD.feeling(vector)).primary


def test_a_feeling_nobody_named_is_read_by_the_head_where_it_is_sure_of_another_family() -> None:
    # Maggots by the door, read by Abi as a letdown: the situation is disgust, met as frustration.
    text = "The bin men skipped our street and there are maggots crawling out of the food waste caddy by the door."
    assert _read_by_abi_as(text, "disappointment", "sadness") == ("disappointed", "frustrated")
    # A feeling the writer names is theirs, whatever the head reads; and the same family is left as read.
    named = "I'm so disappointed, the bin men skipped our street and there are maggots in the food waste caddy."
    assert _read_by_abi_as(named, "disappointment", "sadness")[1] == "disappointed"
    kept = "My landlord kept our whole deposit and sent a photo of a wall we never touched as the reason."
    assert _read_by_abi_as(kept, "annoyance", "anger") == ("frustrated", "frustrated")


def test_someone_close_being_ill_is_never_turned_into_a_grievance() -> None:
    """ "I think my cat is sick" (Abi: sadness) had got "No wonder you're fed up": the head was sure of anger."""
    sick = "I think my cat is sick"
    reading = READER.read(
        persona_pb2.PersonaRequest(
            content=sick,
            routing=persona_pb2.RoutingDecision(
                emotions=[persona_pb2.EmotionScore(label="sadness", score=0.7)],
                ekman_emotions=[persona_pb2.EmotionScore(label="sadness", score=0.7)],
            ),
        )
    )
    assert reading.primary == "sad"
    assert with_second_opinion(reading, sick, ("anger", 0.95)).primary == "sad"
    grievance = "My landlord never fixed the boiler and now wants more rent"
    assert with_second_opinion(reading, grievance, ("anger", 0.95)).primary == "frustrated"
    assert _read_by_abi_as(sick, "sadness", "sadness")[1] == "sad"
