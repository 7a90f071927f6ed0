"""A hashtag is read as its words: the feeling, its dampener or its negation inside "#mildlyannoyed" count.

The messages here are written for these tests (none comes from an evaluation set)."""

from __future__ import annotations

import time

import pytest

from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReader
from services.abbey.hashtags import spelled_out, words_of


@pytest.mark.parametrize(
    ("hashtag", "words"),
    [
        ("mildlyannoyed", "mildly annoyed"),
        ("alittlenervous", "a little nervous"),
        ("cantbelieveit", "cant believe it"),
        ("notimpressed", "not impressed"),
        ("KindaGross", "kinda gross"),
        ("blessed", "blessed"),  # a common word stays whole
        ("gutted", "gutted"),  # so does a feeling word ("gut ted" otherwise)
    ],
)
def test_a_hashtag_is_split_into_its_words(hashtag: str, words: str) -> None:
    assert words_of(hashtag) == words


def test_only_hashtags_are_spelled_out_and_the_rest_of_the_text_is_kept() -> None:
    assert spelled_out("bus late again #mildlyannoyed #fff #123!") == "bus late again mildly annoyed #fff #123!"
    assert spelled_out("no tags here") == "no tags here"


def test_a_message_of_many_hashtags_is_read_quickly() -> None:
    text = " ".join(f"#verylonghashtagnumber{i}withwords" for i in range(2000))
    started = time.perf_counter()
    spelled_out(text)
    assert time.perf_counter() - started < 1.0  # only the first few are split


def _request(text: str, emotions: dict[str, float]) -> persona_pb2.PersonaRequest:
    routing = persona_pb2.RoutingDecision(
        emotions=[persona_pb2.EmotionScore(label=k, score=v) for k, v in emotions.items()],
        ekman_emotions=[persona_pb2.EmotionScore(label="joy", score=0.7)] if "amusement" in emotions else [],
        sentiment=persona_pb2.Sentiment(intensity=0.6, polarity=0.4),
    )
    return persona_pb2.PersonaRequest(content=text, routing=routing)


def test_a_feeling_in_a_hashtag_decides_the_reading_and_its_dampener_the_strength() -> None:
    """ "... #mildlyannoyed" had been met as happy news, "... #alittlenervous" as excitement."""
    reader = EmotionReader()
    annoyed = reader.read(_request("Someone parked across my drive again #mildlyannoyed", {"neutral": 0.8}))
    assert annoyed.primary == "frustrated" and annoyed.intensity <= 0.25
    nervous = reader.read(_request("first pottery class tonight lol #alittlenervous", {"amusement": 0.7}))
    assert nervous.primary == "anxious" and nervous.intensity <= 0.25
