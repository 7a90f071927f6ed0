"""Cheap lexical features appended to the sentence embedding for the routing heads.

Training and serving call the same function, so the weights always see the
features they were fitted on. Each feature is in roughly [-1, 1].
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|i'd|i'll|me|my|myself|mine|we|our|us)\b", re.IGNORECASE)
SECOND_PERSON = re.compile(r"\b(you|your|you're|youre|yourself)\b", re.IGNORECASE)
ERROR_SIGNAL = re.compile(
    r"(traceback|exception|error\b|errno|segfault|segmentation fault|stack ?trace|core dumped|"
    r"\bat [\w.$]+\([\w.]+:\d+\)|line \d+|exit(ed)? (with )?code|\bfails?\b|\bfailing\b|\bbug\b|"
    r"not working|doesn't work|does not work)",
    re.IGNORECASE,
)
CODE_CHARS = re.compile(r"[(){}\[\]=<>;_/\\`#$|]")
WORD = re.compile(r"\w+", re.UNICODE)

NAMES = (
    "first_person_rate",
    "second_person_rate",
    "length",
    "question",
    "vader_compound",
    "vader_negative",
    "vader_positive",
    "code_chars",
    "error_signal",
    "upper_ratio",
)
SIZE = len(NAMES)


def lexical_features(text: str, vader: dict[str, float]) -> np.ndarray:
    """The lexical feature vector of `text`, given its VADER scores."""
    words = max(1, len(WORD.findall(text)))
    length = max(1, len(text))
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / max(1, len(letters))
    return np.asarray(
        [
            min(1.0, 3.0 * len(FIRST_PERSON.findall(text)) / words),
            min(1.0, 3.0 * len(SECOND_PERSON.findall(text)) / words),
            min(len(text), 600) / 600.0,
            1.0 if "?" in text else 0.0,
            vader.get("compound", 0.0),
            vader.get("neg", 0.0),
            vader.get("pos", 0.0),
            min(1.0, 5.0 * len(CODE_CHARS.findall(text)) / length),
            1.0 if ERROR_SIGNAL.search(text) else 0.0,
            upper if len(letters) >= 8 else 0.0,
        ],
        dtype=np.float32,
    )


VADER_MAX_CHARS = 4000
_vader: Any = None


def vader_scores(text: str) -> dict[str, float]:
    """VADER polarity scores (neg, neu, pos, compound) of the first VADER_MAX_CHARS characters."""
    global _vader
    if _vader is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _vader = SentimentIntensityAnalyzer()
    scores: dict[str, float] = _vader.polarity_scores(text[:VADER_MAX_CHARS])
    return scores
