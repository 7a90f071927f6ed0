"""The emotion vocabulary of the mesh: GoEmotions labels, Ekman groups and the ten persona-facing emotions.

Abi's model scores the 28 GoEmotions labels and the Ekman groups; personas speak
in the original implementation's ten emotions (happy, sad, frustrated, ...).
This module is the one place that says how a label becomes one of the ten:
Abi's derived scores (`services/abi/sentiment.py`) and Abbey's folding of a
routing decision (`services/abbey/emotion.py`) both use `to_persona_emotion` /
`DERIVED`, so the two can no longer disagree.

Every GoEmotions label maps to exactly one persona emotion. Two copies used to
disagree; the choices made here, and why:

- embarrassment -> sad (one copy said "stressed"). Embarrassment is shame and
  self-consciousness, not load: the dataset authors' Ekman mapping puts it under
  sadness, Abbey's own cue lexicon files "ashamed" and "guilt" under sad, and
  her answer to "sad" (be gentle with yourself, talk it through) fits it, where
  her answer to "stressed" (make the load smaller) does not.
- nervousness -> anxious only, annoyance -> frustrated only (one copy also
  counted both as "stressed"). GoEmotions defines nervousness as
  "apprehension, worry, anxiety"; counting a label twice made "stressed" echo
  "anxious" and "frustrated" instead of saying something of its own.
- caring -> happy (one copy dropped it): a warm, positive label.

GoEmotions has no label for stress, so "stressed" has no GoEmotions members: it
comes from the words of a message (Abbey's own reading) or from a caller that
names it directly. Abi reports no derived score for it rather than an invented one.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import Final

# GoEmotions labels in the order of the dataset's emotions.txt (index 27 = neutral); the model's head order.
GO_EMOTIONS: Final[tuple[str, ...]] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
    "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
    "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
    "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip

# The dataset authors' Ekman mapping (google-research goemotions/data/ekman_mapping.json), plus neutral.
EKMAN: Final[dict[str, tuple[str, ...]]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
            "admiration", "desire", "caring"),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}  # fmt: skip

# The original implementation's ten emotions: what personas read and answer to.
PERSONA_EMOTIONS: Final[tuple[str, ...]] = (
    "neutral", "happy", "sad", "frustrated", "confused", "excited", "anxious", "stressed", "curious", "disappointed",
)  # fmt: skip

# Each GoEmotions label -> the one persona emotion it expresses (see the module docstring for the choices).
_TO_PERSONA: dict[str, str] = {
    "neutral": "neutral",
    "joy": "happy", "amusement": "happy", "gratitude": "happy", "love": "happy", "admiration": "happy",
    "approval": "happy", "optimism": "happy", "relief": "happy", "pride": "happy", "caring": "happy",
    "sadness": "sad", "grief": "sad", "remorse": "sad", "embarrassment": "sad",
    "anger": "frustrated", "annoyance": "frustrated", "disapproval": "frustrated", "disgust": "frustrated",
    "confusion": "confused",
    "excitement": "excited", "desire": "excited", "surprise": "excited",
    "fear": "anxious", "nervousness": "anxious",
    "curiosity": "curious", "realization": "curious",
    "disappointment": "disappointed",
}  # fmt: skip
TO_PERSONA: Final = MappingProxyType(_TO_PERSONA)

# Persona emotion -> its GoEmotions members (the inverse of TO_PERSONA); an emotion with none is left out.
DERIVED: Final[dict[str, tuple[str, ...]]] = {
    emotion: members
    for emotion in PERSONA_EMOTIONS
    if (members := tuple(label for label in GO_EMOTIONS if _TO_PERSONA[label] == emotion))
}

# GoEmotions labels of distress: those that fold into sad, anxious or disappointed.
DISTRESS: Final[tuple[str, ...]] = tuple(
    label for label in GO_EMOTIONS if _TO_PERSONA[label] in ("sad", "anxious", "disappointed")
)


def to_persona_emotion(label: str) -> str | None:
    """The persona emotion for a GoEmotions label, an Ekman group or one of the ten itself; None if unknown.

    Ekman group names are GoEmotions labels of the same meaning (anger, fear, joy, ...), so they fold the same way.
    """
    name = label.strip().lower()
    if name in _TO_PERSONA:
        return _TO_PERSONA[name]
    return name if name in PERSONA_EMOTIONS else None


def derive(scores: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Persona emotion scores from (label, score) pairs: each the strongest of the labels that fold into it.

    Unknown labels are skipped; the result lists emotions in PERSONA_EMOTIONS order.
    """
    best: dict[str, float] = {}
    for label, score in scores:
        emotion = to_persona_emotion(label)
        if emotion is not None:
            best[emotion] = max(best.get(emotion, 0.0), float(score))
    return {emotion: best[emotion] for emotion in PERSONA_EMOTIONS if emotion in best}
