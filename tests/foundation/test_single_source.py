"""One source of truth each: the emotion mapping, PII detection, sentence splitting and language names.

Copies used to drift apart (Abi called embarrassment "stressed", Abbey "sad"); these tests fail when a
service grows its own copy again or when the shared one stops covering what it must.
"""

from __future__ import annotations

from collections import Counter

import pytest

from personamesh.v1 import persona_pb2
from services.abbey import emotion as abbey_emotion
from services.abi import sentiment as abi_sentiment
from services.abi import taxonomy
from services.abi.sentiment import SentimentResult
from services.common import emotions

# -- emotions -----------------------------------------------------------------------------------------


def test_every_goemotions_label_maps_to_exactly_one_persona_emotion() -> None:
    assert len(emotions.GO_EMOTIONS) == 28 and len(set(emotions.GO_EMOTIONS)) == 28
    assert set(emotions.TO_PERSONA) == set(emotions.GO_EMOTIONS)
    assert set(emotions.TO_PERSONA.values()) <= set(emotions.PERSONA_EMOTIONS)
    members = Counter(label for group in emotions.DERIVED.values() for label in group)
    assert members == Counter(emotions.GO_EMOTIONS), "each label belongs to exactly one derived emotion"


def test_ekman_groups_cover_every_label_exactly_once() -> None:
    members = Counter(label for group in emotions.EKMAN.values() for label in group)
    assert members == Counter(emotions.GO_EMOTIONS)
    # Ekman group names fold like the GoEmotions labels they are named after.
    assert all(emotions.to_persona_emotion(group) is not None for group in emotions.EKMAN)


def test_abi_and_abbey_use_the_same_mapping_object() -> None:
    assert taxonomy.EMOTIONS is emotions.GO_EMOTIONS
    assert taxonomy.EKMAN is emotions.EKMAN and taxonomy.DERIVED is emotions.DERIVED
    assert abi_sentiment.derive is emotions.derive and abbey_emotion.derive is emotions.derive


@pytest.mark.parametrize("label", emotions.GO_EMOTIONS)
def test_abi_and_abbey_fold_each_label_the_same_way(label: str) -> None:
    scores = dict.fromkeys(emotions.GO_EMOTIONS, 0.05)
    scores[label] = 0.9
    abi = SentimentResult(0.0, 0.5, 0.0, "neutral", scores).derived()
    abi_top = max(abi, key=lambda name: abi[name])
    routing = persona_pb2.RoutingDecision(emotions=[persona_pb2.EmotionScore(label=label, score=0.9)])
    abbey = abbey_emotion.EmotionReader().read(persona_pb2.PersonaRequest(content="x", routing=routing))
    assert abi_top == abbey.primary == emotions.TO_PERSONA[label]


def test_embarrassment_is_sad_everywhere() -> None:
    """The copies disagreed here; see services/common/emotions.py for why "sad" won."""
    assert emotions.TO_PERSONA["embarrassment"] == "sad"
    assert "embarrassment" in emotions.DERIVED["sad"] and "stressed" not in emotions.DERIVED


def test_the_routers_distress_labels_are_the_mappings() -> None:
    """Abi's router keeps its own tuple for now; it must stay the labels that fold into sad/anxious/disappointed."""
    from services.abi.router import DISTRESS_EMOTIONS

    assert set(DISTRESS_EMOTIONS) == set(emotions.DISTRESS)


# -- PII ----------------------------------------------------------------------------------------------


def test_abi_and_the_gateways_local_check_call_the_one_detector() -> None:
    from gateway.pipeline import local_policy
    from services.abi import pii as abi_pii
    from services.abi import policy as abi_policy
    from services.common import pii

    assert abi_policy.find_pii is pii.find_pii and abi_pii.find_pii is pii.find_pii
    assert local_policy.pii is pii  # it calls pii.find_pii / pii.redact at run time
    text = "mail jane.doe@example.com or card 4111 1111 1111 1111"
    redacted, categories = local_policy.redact(text)
    assert redacted == pii.redact(text, pii.find_pii(text))
    assert categories == sorted({f"pii.{f.kind}" for f in pii.find_pii(text)})


# -- sentences ----------------------------------------------------------------------------------------


def test_one_sentence_splitter_serves_chunking_grounding_and_fact_checking() -> None:
    from services.aviva import facts
    from services.common import text
    from services.common.generation import grounding
    from services.embeddings import chunking

    assert chunking.split_sentences is text.split_sentences is grounding.split_sentences
    assert facts.prose_sentences is grounding.prose_sentences


def test_sentences_survive_abbreviations_decimals_and_lone_surrogates() -> None:
    from services.common.text import split_sentences

    assert split_sentences("Use e.g. sorted() here. It returns a new list! Does it? Yes.") == [
        "Use e.g. sorted() here.",
        "It returns a new list!",
        "Does it?",
        "Yes.",
    ]
    assert split_sentences("Python 3.11 came out in 2022. Dr. Smith used it at 3 p.m. today.") == [
        "Python 3.11 came out in 2022.",
        "Dr. Smith used it at 3 p.m. today.",
    ]
    assert split_sentences("bad \ud800 text. Next.") == ["bad \ufffd text.", "Next."]
    assert split_sentences("") == [] and split_sentences("   ") == []


# -- programming languages ----------------------------------------------------------------------------


def test_code_blocks_aviva_and_abbey_read_the_one_language_registry() -> None:
    from services.abbey import compose as abbey_compose
    from services.aviva import code as aviva_code
    from services.common import languages, parsers
    from services.common.generation import codeblocks

    names = {language.name for language in languages.LANGUAGES}
    assert len(names) == len(languages.LANGUAGES)
    # A language is checked exactly when the registry names a grammar for it, and that grammar loads offline.
    assert {name for name in names if parsers.grammar(name) is not None} == languages.with_parser()
    assert languages.with_parser() == aviva_code._CHECKABLE
    assert languages.name_words() <= aviva_code._NOT_NAME_WORDS
    assert aviva_code.languages is abbey_compose.languages is codeblocks.languages is parsers.languages is languages


@pytest.mark.parametrize(
    ("tag", "name"),
    [("py", "python"), ("Python3", "python"), ("golang", "go"), ("c++", "cpp"), ("C#", "csharp"), ("yml", "yaml"),
     ("shell", "bash"), ("rs", "rust"), ("kt", "kotlin"), ("node", "javascript"), ("brainfuck", "brainfuck")],
)  # fmt: skip
def test_fence_tags_name_one_canonical_language(tag: str, name: str) -> None:
    from services.common.generation.codeblocks import normalize_language

    assert normalize_language(tag) == name


@pytest.mark.parametrize(
    ("question", "language"),
    [("Port this from Java to Rust", "java"), ("How do I read a CSV with pandas?", "python"),
     ("Write a Go program that sorts numbers in C++", "cpp"), ("reverse a string in TypeScript", "typescript"),
     ("Convert this JavaScript callback to async/await", "javascript"), ("sort a list", "python"),
     ("reverse a string in Go?", "go"), ("what changed in go 1.22", "go"),
     # "go" as an everyday word names no language; the terminal is the shell's
     ("make a directory and its parents in one go", "python"), ("go ahead, sort a list", "python"),
     ("how do I count the lines of a file from the terminal", "bash")],
)  # fmt: skip
def test_the_language_a_request_asks_for(question: str, language: str) -> None:
    from services.aviva.code import detect_request_language

    assert detect_request_language(question) == language
