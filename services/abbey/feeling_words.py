"""The feelings a message names in its own words, and how strongly it puts them.

Abi's model learnt feelings from short Reddit comments (GoEmotions): "I'm incandescent", "bit of a cheek" or
"🤮" are rare there, and the intensity it reports is how sure it is, not how strongly the writer felt. A
feeling the writer names is the most direct evidence of both, so Abbey's reading defers to it
(services/abbey/emotion.py). The vocabulary is data (feeling_words.yaml, graded mild / plain / strong); the
boosters, dampeners and negations are VADER's, the library that already gives Abbey her polarity: "really
annoyed" is strong, "slightly annoyed" mild, "not worried" names nothing. Written here because no library
that installs offline grades named feelings (the NRC emotion lexicons are not free for commercial use).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, NamedTuple

import yaml
from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

from services.common.emotions import EKMAN, to_persona_emotion
from services.common.polarity import keeps_before

STRENGTHS: Final = ("mild", "plain", "strong")
# Ekman groups in tiers of the order a named feeling is answered to: pain first (cheer must never meet it),
# then surprise, then joy; inside a tier the most strongly put feeling, then this order.
_GROUP_ORDER: Final = ("anger", "disgust", "fear", "sadness", "surprise", "joy")
_TIER: Final = {"anger": 0, "disgust": 0, "fear": 0, "sadness": 0, "surprise": 1, "joy": 2}
_GROUP_OF: Final = {label: group for group, labels in EKMAN.items() for label in labels}
# VADER's dampeners, plus the informal ones it lacks ("a bit", "a tad", "a wee bit", "some nerves").
_DAMPENERS: Final = frozenset(word for word, value in BOOSTER_DICT.items() if value < 0) | {"bit", "tad", "wee", "some"}
_BOOSTERS: Final = frozenset(word for word, value in BOOSTER_DICT.items() if value > 0)
_NEGATIONS: Final = frozenset(NEGATE) | {"no", "n't"}
_APOSTROPHES = "'\u2019"  # typed and typographic
_WORD = re.compile(rf"[\w{_APOSTROPHES}-]+")


@dataclass(frozen=True)
class NamedFeeling:
    """One feeling named in a message: its GoEmotions label and how strongly it is put."""

    label: str
    strength: str  # mild, plain or strong
    phrase: str
    past: bool = False  # named right after "was" or "were": a feeling the writer had

    @property
    def group(self) -> str:
        return _GROUP_OF[self.label]

    @property
    def emotion(self) -> str:
        """The persona emotion it folds into (services/common/emotions.py)."""
        return to_persona_emotion(self.label) or "neutral"


# One word of emphasis may stand between the words of a phrase: "my jaw literally dropped", "I genuinely cannot
# process this".
_EMPHASIS_INSIDE: Final = (
    r"\s+(?:(?:literally|genuinely|honestly|actually|really|totally|completely|absolutely|truly|just)\s+)?"
)


def _alternatives(entries: list[str]) -> str:
    """One regex alternation of vocabulary entries, longest first ("*" matches any ending), each allowing a word
    of emphasis between its words."""
    escaped = (re.escape(entry[:-1]) + r"[\w'-]*" if entry.endswith("*") else re.escape(entry) for entry in entries)
    return "|".join(part.replace(r"\ ", _EMPHASIS_INSIDE) for part in sorted(escaped, key=len, reverse=True))


def _pattern(entries: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + _alternatives(entries) + r")(?![\w'])", re.IGNORECASE)


def _vocabulary(path: Path) -> dict[str, dict[str, list[str]]]:
    vocabulary: dict[str, dict[str, list[str]]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for label, graded in vocabulary.items():
        if label not in _GROUP_OF:
            raise ValueError(f"{path.name}: {label!r} is not a GoEmotions label of an Ekman group")
        for strength in graded:
            if strength not in STRENGTHS:
                raise ValueError(f"{path.name}: {label}.{strength}: the strengths are {', '.join(STRENGTHS)}")
    return vocabulary


_VOCABULARY: Final = _vocabulary(Path(__file__).with_name("feeling_words.yaml"))
_PATTERNS: Final = [
    (label, strength, _pattern([str(entry).lower() for entry in entries]))
    for label, graded in _VOCABULARY.items()
    for strength, entries in graded.items()
]


def words_before(text: str, start: int, count: int = 2) -> list[str]:
    """The last `count` words before position `start`, lower-cased."""
    return [word.lower() for word in _WORD.findall(text[max(0, start - 40) : start])][-count:]


def negated(before: list[str]) -> bool:
    """One of the words before a phrase negates it ("not worried", "don't worry")."""
    return any(word in _NEGATIONS or word.endswith(("n't", "n\u2019t")) for word in before)


# Dampeners after the feeling: "it made me gag a bit", "annoyed me slightly".
_DAMPENED_AFTER = re.compile(r"\s*(?:a (?:bit|little|tad)|slightly|somewhat|mildly)\b", re.IGNORECASE)


def _graded(strength: str, before: list[str], after: str = "") -> str | None:
    """The strength as put by the two words before the phrase and what follows it; None when negated."""
    if negated(before):
        return None
    if any(word in _DAMPENERS for word in before) or _DAMPENED_AFTER.match(after):
        return "mild"
    if strength == "plain" and any(word in _BOOSTERS for word in before):
        return "strong"
    return strength


@lru_cache(maxsize=256)
def named_feelings(text: str) -> tuple[NamedFeeling, ...]:
    """Every feeling `text` names, not negated, with the strength it is put with. Kept per text: one message is read
    by the emotion reading, its second opinions and the empathy plan (~0.1 ms a scan)."""
    matches = [(match, label, strength) for label, strength, pattern in _PATTERNS for match in pattern.finditer(text)]
    covered = _covered({match.span() for match, _, _ in matches})
    found = []
    for match, label, strength in matches:
        if match.span() in covered:
            continue  # the longest phrase wins: "sobbing with joy" is joy, not sadness
        if match.group(0).lower().startswith("who") and not opens_clause(text, match.start()):
            continue  # "the person who knew me best" tells who knew; "Who knew?" is the surprise
        # "can't stop grumbling" keeps on grumbling: the words before negate a stop, not the feeling.
        before = [] if keeps_before(text[: match.start()]) else words_before(text, match.start())
        graded = _graded(strength, before, text[match.end() : match.end() + 20])
        if graded is not None:
            past = bool(_HAD.intersection(words_before(text, match.start(), 3)))
            found.append(NamedFeeling(label, graded, match.group(0), past))
    return tuple(found)


# What may stand right before a phrase that opens its clause: a mark that ends a sentence or clause, or an opener.
_CLAUSE_MARKS: Final = '.!?,;:()"\u2014\u2013-\u2026'
_OPENERS: Final = frozenset(
    {"and", "but", "so", "honestly", "well", "lol", "haha", "omg", "wow", "oh", "seriously", "like", "ok", "okay",
     "anyway", "mean"}
)  # fmt: skip


def opens_clause(text: str, start: int) -> bool:
    """Whether the words at `start` open a clause: "Who knew?" or "and who knew", not "the person who knew me"."""
    before = text[:start].rstrip()
    if not before or before[-1] in _CLAUSE_MARKS:
        return True
    return bool(set(words_before(text, start, 1)) & _OPENERS)


def _covered(spans: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The spans that lie within a longer one, in one sweep (comparing every pair of matches had taken 5 s for a
    32,000-character message naming a feeling 2,600 times)."""
    covered = set()
    furthest = -1
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if end <= furthest:  # an earlier span starts no later and ends no sooner, and is not this one: it is longer
            covered.add((start, end))
        furthest = max(furthest, end)
    return covered


def strongest(named: Sequence[NamedFeeling]) -> NamedFeeling | None:
    """The feeling to answer to: one the writer has now before one they had ("Last time I wrote I was so down ...
    I'm over the moon"), then a painful one first, then surprise, then joy; the most strongly put inside ("Oh
    brilliant, ... makes my skin crawl" is disgust, not the sarcasm's mild annoyance)."""
    if not named:
        return None
    now = [f for f in named if not f.past] or list(named)
    return min(now, key=lambda f: (_TIER[f.group], -STRENGTHS.index(f.strength), _GROUP_ORDER.index(f.group)))


# Words right before a feeling that put it in the past ("I was so down", "we were gutted"); not "felt", which tells
# today's feeling as often ("I felt a little melancholy today").
_HAD: Final = frozenset({"was", "were"})


# What may open a clause before the feeling it names: the writer as subject, a verb of feeling, hedges and
# intensifiers ("I'm", "feeling", "just", "a bit", "kind of", "absolutely").
_OPENING: Final = (
    r"(?:(?:i'?m|i am|i was|i've been|ive been|i feel|i felt|i'm feeling|feeling|felt|been|just|so|really|very|"
    r"quite|pretty|rather|a bit|a little|bit|little|a tad|kind of|kinda|sort of|sorta|somewhat|slight|slightly|mildly|"
    r"absolutely|totally|utterly|super|honestly|still|genuinely)\s+)*"
)
# Words that tie a named feeling to its cause: a clause follows these ("annoyed that the bus was late") ...
CLAUSE_LINKS: Final = frozenset(
    {"that", "because", "since", "as", "when", "how", "to say that", "to tell you that", "to share that",
     "to announce that"}
)  # fmt: skip
# ... and a noun phrase follows these ("nervous about my flu jab").
_LINKS: Final = (*CLAUSE_LINKS, "about", "abt", "for", "over", "at", "with", "of", "by", "to see", "to hear", "to find")
_PREFACE: Final = re.compile(
    _OPENING
    + r"(?P<feeling>"
    + _alternatives(
        [str(entry).lower() for graded in _VOCABULARY.values() for group in graded.values() for entry in group]
    )
    + r")(?![\w'])[\s,:;-]*(?:(?P<link>"
    + "|".join(sorted((re.escape(link) for link in _LINKS), key=len, reverse=True))
    + r")\b\s*)?(?P<cause>.*)$",
    re.IGNORECASE | re.DOTALL,
)


class Preface(NamedTuple):
    """The feeling a clause opens with, as the persona emotion it folds into, and what ties it to its cause."""

    link: str  # "that", "about"; "" for none
    cause: str
    emotion: str


# Bare "afraid" is politeness when it softens a fact ("I'm afraid the build still fails") and fear when what follows
# has not happened yet ("I'm afraid my boss will fire me"): it opens a worry only before a clause about what may come.
_MAY_COME: Final = r"(?:\b(?:will|might|may|could|won't|going to|gonna)\b|'ll\b)"
_AFRAID_OF_WHAT_MAY_COME: Final = re.compile(
    _OPENING + rf"afraid\s+(?:that\s+)?(?P<cause>[^.?!]*?{_MAY_COME}.*)$",
    re.IGNORECASE | re.DOTALL,
)


def feeling_preface(clause: str) -> Preface | None:
    """A clause that opens by naming the writer's feeling ("bit annoyed that the 42 bus was late", "a little
    nervous about my flu jab"): the word linking the feeling to its cause, the cause, and the feeling. Said back,
    the cause is what happened (or, for a worry, what is feared); the feeling is answered to, not quoted. None
    when the clause opens with no named feeling."""
    match = _PREFACE.match(clause.strip())
    if match is None:
        feared = _AFRAID_OF_WHAT_MAY_COME.match(clause.strip())
        return Preface("", feared.group("cause").strip(" ,;:-"), "anxious") if feared else None
    feeling = strongest(named_feelings(match.group("feeling")))
    emotion = feeling.emotion if feeling is not None else "neutral"
    return Preface((match.group("link") or "").lower(), match.group("cause").strip(" ,;:-"), emotion)
