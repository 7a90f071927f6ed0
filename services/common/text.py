"""Plain text: the mesh's one sentence splitter, and what counts as text at all (`has_visible_text`).

`unsaid` picks, of a persona's alternative wordings, one that repeats no sentence
already said in the conversation, by these same sentences.

Knowledge chunking (services/embeddings/chunking.py), the sentence picking of
the composer (services/common/generation/grounding.py) and Aviva's fact
checker all cut text at the boundaries found here, so a sentence is the same
unit wherever it is counted.

The boundaries come from `sentencex` (Wikimedia's segmenter, MIT, a small Rust
wheel with no dependencies, ~0.01 ms for a paragraph): it knows abbreviations
("e.g.", "Dr.", "p.m."), decimals and ellipses, which the two regular
expressions it replaces cut through. pysbd does the same but is unmaintained
since 2021 and ~500 times slower; NLTK's punkt needs a data download.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sentencex import segment

LANGUAGE = "en"
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_visible_text(text: str) -> bool:
    """Whether `text` has a character that shows: not only whitespace and invisible format characters (zero-width
    spaces and joiners, a byte-order mark), which every service refuses as an empty message."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


def split_sentences(text: str) -> list[str]:
    """The sentences of plain text, in order, stripped, empty ones dropped (markup is the caller's business)."""
    try:
        pieces = segment(LANGUAGE, text)
    except UnicodeEncodeError:
        # A lone surrogate cannot cross into the segmenter; U+FFFD stands in for it (and ends no sentence).
        pieces = segment(LANGUAGE, _SURROGATE.sub("\ufffd", text))
    return [stripped for piece in pieces if (stripped := piece.strip())]


def unsaid(options: Sequence[str], pick: int, said: set[str]) -> str:
    """The first of `options` from index `pick` on that repeats nothing in `said` (the sentences already said in a
    conversation; an option of several sentences is compared sentence by sentence), else the `pick`th."""
    for offset in range(len(options)):
        option = options[(pick + offset) % len(options)]
        if option not in said and not any(sentence in said for sentence in split_sentences(option)):
            return option
    return options[pick % len(options)]
