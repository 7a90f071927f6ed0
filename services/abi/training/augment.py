"""Surface noise for training texts: the same meaning in the spellings people really type.

Harmful requests arrive in leetspeak ("k1ll"), spaced or dotted letters, lower case without
punctuation, typos and chatty framing ("quick q:", "lol"). The fixtures cannot spell every
request every way, so each time a task row is fitted it may be shown in one such form. The noise
is applied to benign and harmful rows alike, so no form becomes evidence of harm by itself.
Written here because the few libraries for text augmentation (nlpaug, textattack) pull in large
model downloads or NLTK corpora for what is a handful of character edits.
"""

from __future__ import annotations

import random
import re
import string

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
PREFIXES = ("hey ", "quick q: ", "ok so ", "honestly ", "pls ", "yo ", "serious question, ")
SUFFIXES = (" lol", " pls", " asap", " thx", " ??", " tbh", " lmao")
_WORD = re.compile(r"[A-Za-z]{4,}")


def _pick_word(text: str, rng: random.Random) -> re.Match[str] | None:
    words = list(_WORD.finditer(text))
    return rng.choice(words) if words else None


def _edit_word(text: str, rng: random.Random, edit: str) -> str:
    match = _pick_word(text, rng)
    if match is None:
        return text
    word = match.group()
    if edit == "leet":
        new = "".join(LEET.get(c.lower(), c) if rng.random() < 0.7 else c for c in word)
    elif edit == "spaced":
        new = rng.choice((" ", ".", "-", "*")).join(word)
    else:  # typo: swap two neighbouring letters
        i = rng.randrange(len(word) - 1)
        new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return text[: match.start()] + new + text[match.end() :]


def _plain(text: str) -> str:
    return text.lower().translate(str.maketrans("", "", string.punctuation.replace("'", "")))


def surface_noise(text: str, rng: random.Random) -> str:
    """One random surface form of `text` with the same meaning."""
    kind = rng.randrange(6)
    if kind == 0:
        return _plain(text)
    if kind == 1:
        return _edit_word(_edit_word(text, rng, "leet"), rng, "leet")
    if kind == 2:
        return _edit_word(text, rng, "spaced")
    if kind == 3:
        return _edit_word(text, rng, "typo")
    if kind == 4:
        return rng.choice(PREFIXES) + text[:1].lower() + text[1:]
    return text.rstrip(".!") + rng.choice(SUFFIXES)


def maybe_noisy(text: str, rng: random.Random, probability: float) -> str:
    return surface_noise(text, rng) if rng.random() < probability else text
