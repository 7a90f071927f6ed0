"""Hashtags read as the words they are written without spaces: "#mildlyannoyed" is "mildly annoyed".

A feeling put in a hashtag ("#alittlenervous", "#cantbelieveit") holds the same words as one put in a sentence, but
no word boundary lets the feeling words, dampeners or negations be found inside it. The split is `wordsegment`'s
(Norvig's unigram segmentation from "Beautiful Data"), the well-kept library for it; it is given only the commonest
words of its own unigram file (sorted by count): the whole file and its bigrams hold ~95 MiB in each process, these
~4 MiB, and they split hashtags as well (tests/abbey/test_hashtags.py). They are read at start-up (`load`, from
Abbey's warm-up): read at the first hashtag, the ~0.15 s would stall the event loop the emotion reading runs on.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Final

import wordsegment

from services.abbey.feeling_words import named_feelings

COMMON_WORDS: Final = 40_000
# A hashtag worth splitting: letters (and digits) after "#", not a colour ("#fff") or an issue number ("#123").
_HASHTAG = re.compile(r"#([A-Za-z][A-Za-z0-9]{3,39})\b")
_MAX_HASHTAGS = 8  # a message of hundreds of hashtags costs no more than a few milliseconds


def load() -> None:
    """Read the commonest words now (start-up), not at the first hashtag."""
    _segmenter()


@lru_cache(maxsize=1)
def _segmenter() -> wordsegment.Segmenter:
    segmenter = wordsegment.Segmenter()
    with open(segmenter.UNIGRAMS_FILENAME, encoding="utf-8") as lines:
        pairs = (line.split("\t") for line in itertools.islice(lines, COMMON_WORDS))
        segmenter.unigrams = {word: float(count) for word, count in pairs}
    segmenter.total = segmenter.TOTAL
    segmenter.limit = segmenter.LIMIT
    return segmenter


@lru_cache(maxsize=1024)
def words_of(hashtag: str) -> str:
    """The words of one hashtag's body ("mildlyannoyed" -> "mildly annoyed"); a common word or a feeling word
    ("blessed", "gutted") stays whole."""
    lowered = hashtag.lower()
    segmenter = _segmenter()
    if lowered in segmenter.unigrams or named_feelings(lowered):
        return lowered
    return " ".join(segmenter.segment(lowered))


def spelled_out(text: str) -> str:
    """`text` with its first hashtags replaced by their words, or `text` itself when it has none."""
    if "#" not in text:
        return text
    found = list(itertools.islice(_HASHTAG.finditer(text), _MAX_HASHTAGS))
    if not found:
        return text
    parts: list[str] = []
    end = 0
    for match in found:
        parts.extend((text[end : match.start()], words_of(match.group(1))))
        end = match.end()
    return "".join(parts) + text[end:]
