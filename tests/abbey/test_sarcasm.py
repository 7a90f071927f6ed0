"""Sarcasm (services/abbey/README.md, "Sarcasm"): praise said over a complaint is not met with cheer."""

from __future__ import annotations

import time

import pytest

from personamesh.v1 import persona_pb2
from services.abbey.emotion import (
    EmotionReader,
    EmotionReading,
    may_be_sarcasm,
    read_sarcasm,
    what_sarcasm_tells,
    without_surface_praise,
)
from services.abbey.situation import SituationHead
from services.common.encoder import SentenceEncoder
from services.common.generation.focus import focus_query

HEAD = SituationHead.load()
ENCODER = SentenceEncoder(threads=1)
CHEERED = EmotionReading("happy", 0.6, {"happy": 0.9}, 0.6, "routing")


def _read(text: str) -> EmotionReading:
    """As Abbey reads it: only a reading `may_be_sarcasm` admits, by the situation head on the message without its
    words of praise."""
    if not may_be_sarcasm(CHEERED, text):
        return CHEERED
    vector = ENCODER.encode([focus_query(without_surface_praise(text))]).vectors[0].tolist()
    return read_sarcasm(CHEERED, text, HEAD.strongest_pain(vector))


@pytest.mark.parametrize(
    "text",
    [
        # Found asking `make run`: each was cheered ("That's lovely to hear ... Enjoy it").
        "Fantastic, the dog ate my homework. Literally.",
        "yay, more overtime this weekend 🙃",
        "Oh sure, because I totally have time to redo the whole report.",
    ],
)
def test_praise_over_a_complaint_is_not_cheered(text: str) -> None:
    reading = _read(text)
    assert reading.primary not in ("happy", "excited", "grateful") and reading.source == "sarcasm"
    assert reading.intensity <= 0.3  # sarcasm puts it mildly


@pytest.mark.parametrize(
    "text",
    [
        "Great news, I got the job!",
        "Our cat who went missing three weeks ago just strolled in through the cat flap like nothing happened!!!",
        "found my favourite mug that I thought I'd lost :)",
    ],
)
def test_good_news_stays_good_news(text: str) -> None:
    assert _read(text) == CHEERED


def test_what_is_said_back_is_what_happened_not_the_praise() -> None:
    assert what_sarcasm_tells("Fantastic, the dog ate my homework. Literally.") == "the dog ate my homework. Literally."
    flooded = "Dishwasher flooded the kitchen floor"
    assert what_sarcasm_tells(f"{flooded}. Fantastic.") == flooded
    # Mock luck and a mock good start are the surface too ("I'm so sorry that fortunate timing, the market fell").
    assert what_sarcasm_tells("Fortunate timing, the market fell 8% the week I retired.") == (
        "the market fell 8% the week I retired."
    )
    assert what_sarcasm_tells("Off to a flying start: slept through the alarm.") == "slept through the alarm."


def test_praise_repeated_to_the_longest_message_is_read_without_stalling() -> None:
    """A denial-of-service guard, not a speed figure: the closing-praise patterns were searched from every position to
    the end, and "great, " repeated to 31,500 characters held the event loop for ~5 s; now ~0.1 s."""
    text = "great, " * 4_500
    started = time.process_time()
    EmotionReader().read(persona_pb2.PersonaRequest(content=text))
    may_be_sarcasm(CHEERED, text)
    what_sarcasm_tells(text)
    assert time.process_time() - started < 1.0
