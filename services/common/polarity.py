"""The polarity of a text (VADER's compound score), read the same way by Abi and Abbey.

VADER negates the three words after a negation, which is right for "not happy" and wrong for a negated "stop":
"my kid won't stop lying" keeps lying, and VADER read it as +0.57 ("keeps lying": -0.53); "I can't stop crying" as
+0.53 and "I can't stop smiling" as -0.15. Abbey then answered the first with congratulations. A negated stop or
quit is read as "keep" before VADER scores the text; VADER (a well-kept lexicon) does the rest. VADER negates the
three words after a negation but knows no "nobody" ("nobody likes me" was +0.42, and "i feel like nobody at work
likes me" +0.65, met with "That's lovely to hear"), and "no one" is two words of its window: both are read as its
one-word "none" first.
"""

from __future__ import annotations

import re
from typing import Any

MAX_CHARS = 4000
_APOSTROPHE = "['\u2019]?"  # typed, typographic or left out
_NEGATED_STOP = re.compile(
    rf"\b(?:can{_APOSTROPHE}t|cannot|can not|won{_APOSTROPHE}t|will not|wouldn{_APOSTROPHE}t|would not|"
    rf"couldn{_APOSTROPHE}t|could not|doesn{_APOSTROPHE}t|does not|don{_APOSTROPHE}t|do not|didn{_APOSTROPHE}t|"
    r"did not|never)(?:\s+(?:seem to|seems to|even|just|ever))?\s+(?:stop|stops|stopped|quit|quits)\b",
    re.IGNORECASE,
)
_NOBODY = re.compile(r"\b(?:nobody|no[- ]?one)\b", re.IGNORECASE)
_vader: Any = None


_ENDS_WITH_NEGATED_STOP = re.compile(rf"(?:{_NEGATED_STOP.pattern})\s*$", re.IGNORECASE)


def keeps_before(prefix: str) -> bool:
    """`prefix` ends in a negated stop or quit: what follows is kept on, not negated ("can't stop | grumbling")."""
    return _ENDS_WITH_NEGATED_STOP.search(prefix[-60:]) is not None


def as_keeps(text: str) -> str:
    """`text` with every negated stop or quit read as "keep" ("won't stop lying" -> "keep lying"), and "nobody" and
    "no one" as "none"."""
    return _NOBODY.sub("none", _NEGATED_STOP.sub("keep", text))


def vader_scores(text: str) -> dict[str, float]:
    """VADER's scores (neg, neu, pos, compound) of the first MAX_CHARS characters, a negated stop read as keep."""
    global _vader
    if _vader is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _vader = SentimentIntensityAnalyzer()
    scores: dict[str, float] = _vader.polarity_scores(as_keeps(text[:MAX_CHARS]))
    return scores


def polarity(text: str) -> float:
    """VADER's compound score in [-1, 1]."""
    return float(vader_scores(text)["compound"])
