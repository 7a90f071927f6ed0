"""Abbey's small-talk head: fitted under its rule on messages that share none with the sets that judge it, it reads
small talk the closed list misses and leaves a short message that says more to the rest of Abbey."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.abi.training.data import is_held_out
from services.common.encoder import DIMENSION, SentenceEncoder
from services.common.persona.small_talk import MAX_HEAD_WORDS, SmallTalkHead, small_talk_kind
from services.common.persona.training.small_talk import DATA, MAX_NONE_READ
from tests.eval.small_talk import SMALL_TALK_BLIND, SMALL_TALK_SELECTION

ENCODER = SentenceEncoder(threads=1)
HEAD = SmallTalkHead.load()


def _texts(path: Path) -> set[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {" ".join(str(row["text"]).lower().split()) for row in rows}


FITTED = set().union(*(_texts(path) for path in DATA))


def _kind(text: str) -> str:
    return HEAD.kind(ENCODER.encode([text]).vectors[0].tolist())


def test_no_training_message_is_a_held_out_message() -> None:
    assert FITTED & (_texts(SMALL_TALK_BLIND) | _texts(SMALL_TALK_SELECTION)) == set()
    assert [text for text in FITTED if is_held_out(text)] == []  # nor one of any other held-out set


def test_the_head_was_fitted_under_its_rule_and_reads_the_index_vector() -> None:
    assert all(len(row) == DIMENSION for row in HEAD.head.weights)
    assert HEAD.head.card["out_of_fold"]["none_taken_for_small_talk"] <= MAX_NONE_READ
    assert HEAD.kind(None) == ""  # no vector (the index unreachable): the closed list alone
    assert not SmallTalkHead.may_read(" ".join(["word"] * (MAX_HEAD_WORDS + 1)))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("what sort of things are you good at", "capabilities"),
        ("is there a human behind this", "identity"),
        ("nah ur alright", "declining"),
        ("that's hilarious", "laughter"),
    ],
)
def test_small_talk_the_list_misses_is_read_by_meaning(text: str, kind: str) -> None:
    assert " ".join(text.split()) not in FITTED  # words it was not fitted on
    assert small_talk_kind(text) == ""
    assert _kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "hi, my dog died yesterday",
        "goodbye everyone, it's been nice knowing you",
        "ok but it still crashes",
        "thanks, but the error is back",
        "write me a haiku",
        "he's very shy",
    ],
)
def test_a_short_message_that_says_more_is_not_small_talk(text: str) -> None:
    assert _kind(text) == ""


@pytest.mark.parametrize("text", ["what's my partner called?", "what's my name?", "who am i?", "what are my hobbies?"])
def test_a_question_about_the_writers_own_life_is_not_read_as_small_talk_about_her(text: str) -> None:
    """The head alone reads these as who she is or her favourites; they ask what the writer told."""
    assert not SmallTalkHead.may_read(text)
    assert SmallTalkHead.may_read("nah ur alright")
