"""What a message says about the writer's own life that more than one service reads: the words for the people and
pets in it, and whether it asks about something the writer told (Abbey answers it from memory; Abi's default rules
send it to her, since the expert persona keeps no facts about anyone)."""

from __future__ import annotations

import re
from dataclasses import dataclass

RELATIONS = frozenset(
    {
        "mom", "mum", "mother", "dad", "father", "parents", "parent", "brother", "sister", "son", "daughter",
        "kids", "kid", "children", "child", "baby", "wife", "husband", "partner", "boyfriend", "girlfriend",
        "fiance", "fiancé", "fiancee", "friend", "friends", "boss", "manager", "colleague", "coworker",
        "co-worker", "team", "grandma", "grandmother", "grandpa", "grandfather", "aunt", "uncle", "cousin",
        "family", "roommate", "flatmate", "teacher", "ex", "neighbour", "neighbor", "therapist", "doctor",
        "stepmom", "stepdad", "niece", "nephew", "grandson", "granddaughter", "spouse", "landlord", "grandad",
        "granddad", "gran", "granny", "nan", "nana", "nanna", "grandparents", "stepson", "stepdaughter",
    }
)  # fmt: skip
PETS = frozenset(
    {"dog", "cat", "puppy", "kitten", "pet", "horse", "rabbit", "bunny", "hamster", "parrot", "bird", "fish",
     "tortoise", "turtle", "budgie", "ferret", "pony", "lizard", "snake", "gerbil"}
)  # fmt: skip

_QUESTION_ATTRIBUTE = re.compile(r"\b(?:my|our) ((?:[a-z]+ ){0,3}?[a-z]+)(?: again)?\s*\?", re.I)


@dataclass(frozen=True)
class MemoryQuestion:
    """'What's my dog's name?' -> subject 'dog', attribute 'name'."""

    subject: str
    attribute: str  # "name", "what", "where"


# "What do I do?" alone asks for advice ("He's failing and really isolated. What do I do?"), and "my job" in a
# question is often its topic ("my job is killing me, what's the best way to relax?"): only these ask for the job
# a person told Abbey about.
_JOB = re.compile(
    r"\bwhat do i do for (?:a living|work)\b|\bwhat i do for (?:a living|work)\b|\bwhat(?:'s| is) my job\b|"
    r"\b(?:remember|know|recall) my job\b",
    re.I,
)
_WHERE_I_WORK = re.compile(r"\bwhere do i work\b|\bwhere i work\b", re.I)
# Asked in so many words, with or without a question mark ("remind me what my cat is called"); "everything
# reminds me of her" tells.
_ASKS_ALOUD = re.compile(r"\b(?:remind me (?:what|who|where|when|how|again)|do you (?:remember|recall))\b", re.I)
# A question about what was told asks for "my" something right after its question word ("what's my dog's name?",
# "who is my manager?"), or asks Abbey to remember. "What's the best way to tell my girlfriend ...?" and "what is a
# good present for my mum?" ask for advice: they got "I don't think you've told me about your girlfriend yet".
_ASKS_MEMORY = re.compile(
    r"\b(?:(?:what|who)(?:'s| is| was) (?:my|our|the names? of my)|(?:what|who) (?:are|were) (?:my|our) "
    r"(?:[a-z]+ )?(?:kids|children|parents|grandparents|sons|daughters|brothers|sisters|friends|pets|dogs|cats)\b|"
    r"when(?:'s| is) my (?:birthday|anniversary)|how old am i|what am i allergic to|where do i live|"
    r"do you know (?:my|what my|who my|where i|what i)|did i (?:tell|mention))\b|"
    + "|".join((_JOB.pattern, _WHERE_I_WORK.pattern, _ASKS_ALOUD.pattern)),
    re.I,
)


# The writer asked about as a whole ("what do you know about me?", "what have I told you?"): everything told.
# "what did I tell you about my dog?" has its subject.
_ABOUT_ME = re.compile(
    r"\b(?:know|remember|recall)\s+(?:anything\s+|everything\s+)?(?:about|of)\s+(?:me|myself)\b"
    r"|\bwhat\s+(?:else\s+)?(?:have|did)\s+i\s+(?:told|tell)\s+you\b(?!\s+about\s+(?!me\b|myself\b))",
    re.I,
)
EVERYTHING = "all"  # the attribute of a question about the writer as a whole


# Typed without apostrophes: "whats my cats name" is "what's my cat's name".
_WH_WITHOUT_APOSTROPHE = re.compile(r"\b(what|who|where|when)s\b", re.IGNORECASE)
_CLOSE_WORDS = RELATIONS | PETS
_POSSESSIVE_WITHOUT_APOSTROPHE = re.compile(
    rf"\b({'|'.join(sorted(_CLOSE_WORDS, key=len, reverse=True))})s(?=\s+names?\b)", re.IGNORECASE
)


# A message that opens with the question, asked without a question mark ("whats my cats name").
_OPENS_WITH_ASK = re.compile(r"\s*(?:what|who)(?:'s| is| was| are| were) (?:my|our)\b", re.IGNORECASE)


def _possessive(match: re.Match[str]) -> str:
    """ "dogs" before "name" -> "dog's"; a plural that is a word of its own ("kids names", "parents names") stays."""
    plural = match.group(0)
    return plural if plural.lower() in _CLOSE_WORDS else f"{match.group(1)}'s"


def memory_question(text: str) -> MemoryQuestion | None:
    """A direct question about something the person told Abbey, or None."""
    text = _POSSESSIVE_WITHOUT_APOSTROPHE.sub(_possessive, _WH_WITHOUT_APOSTROPHE.sub(r"\1's", text))
    if _ABOUT_ME.search(text) and ("?" in text or _ASKS_ALOUD.search(text) or text.lower().startswith("tell me")):
        return MemoryQuestion("", EVERYTHING)
    if not _ASKS_MEMORY.search(text) or not re.search(r"\b(my|i|me)\b", text, re.I):
        return None
    if "?" not in text and not _ASKS_ALOUD.search(text) and not _OPENS_WITH_ASK.match(text):
        return None  # "... and the vet can't tell what's wrong." tells, it does not ask
    lowered = text.lower()
    for word in re.findall(r"[a-z'-]+", lowered):
        base = word.removesuffix("'s").removesuffix("\u2019s")
        if base in PETS or base in RELATIONS:
            return MemoryQuestion(base, "name" if re.search(r"\b(name|called)\b", lowered) else "what")
    if re.search(r"\bwhere do i live\b|\bwhere i live\b", lowered):
        return MemoryQuestion("home", "where")
    if _JOB.search(lowered):
        return MemoryQuestion("job", "what")
    if _WHERE_I_WORK.search(lowered):
        return MemoryQuestion("job", "where")
    if re.search(r"\bmy name\b", lowered):
        return MemoryQuestion("name", "name")
    if re.search(r"\bhow old am i\b", lowered):
        return MemoryQuestion("age", "what")
    if re.search(r"\bwhat am i allergic to\b", lowered):
        return MemoryQuestion("allergy", "what")
    if re.search(r"\bmy diet\b|\bwhat (?:do|can(?:'t|not)?) i (?:eat|not eat)\b", lowered):
        return MemoryQuestion("diet", "what")
    attribute = _QUESTION_ATTRIBUTE.search(text)
    if attribute:  # "What was my locker code again?"
        return MemoryQuestion(attribute.group(1).lower(), "what")
    if re.search(r"\b(remember|recall|did i (tell|mention))\b", lowered):
        return MemoryQuestion("", "what")
    return None


# The subjects a question about what was told can only mean the writer's own life; "what's my python version?" also
# parses as a memory question (the attribute "python version") but asks about a machine.
PERSONAL_SUBJECTS = RELATIONS | PETS | {"home", "job", "name", "age", "birthday", "allergy", "diet", ""}


def is_personal(asked: MemoryQuestion) -> bool:
    """A subject of the writer's own life (not "my python version", which is a machine's)."""
    return asked.subject in PERSONAL_SUBJECTS or asked.subject.startswith(("favourite", "favorite"))


def asks_what_was_told(text: str) -> bool:
    """A direct question about a person, a pet, the writer's home, job, name, age, birthday, allergies, diet or a
    favourite of theirs, or one that asks to be reminded; or a request to forget one of them (`fact_to_forget`)."""
    asked = memory_question(text) or fact_to_forget(text)
    return asked is not None and is_personal(asked)


# Words that may open a request to the assistant ("please", "can you", "I want you to"); "I want to forget my ex" is a
# wish about one's own life, not a request.
REQUEST_OPENER = (
    r"^\W*(?:(?:please|pls|plz|ok|okay|hey|so|now|just|can you|could you|would you|will you|i want you to|"
    r"i'd like you to|i would like you to|i need you to)\W+)*"
)
# The verbs of such a request, for one thing ("forget my dog's name") or everything
# (services/common/persona/forgetting.py).
FORGET_VERB = (
    r"(?:forget|delete|erase|remove|wipe|clear|purge|get rid of|stop remembering|don'?t remember|do not remember)"
)
_FORGET_ONE = re.compile(
    REQUEST_OPENER + FORGET_VERB + r"\s+"
    r"(?:(?:about|that|what i (?:told you|said|shared) about|everything (?:i told you )?about|anything about)\s+)?"
    r"(?P<what>[^?]+?)(?:\s+(?:please|now|pls|thanks|thank you))?\W*$",
    re.I,
)
# One thing of the writer's, as the facts Abbey keeps are keyed (services/abbey/facts.py); "that" is already read.
_FORGET_SELF = (
    ("home", re.compile(r"^(?:where i live|i live\b|(?:my|our) (?:home|address)\b|where my home is)", re.I)),
    ("job", re.compile(r"^(?:where i work|what i do\b|i work\b|my job\b|what my job is|i'?m an? |i am an? )", re.I)),
    ("name", re.compile(r"^(?:my name\b|what my name is|i'?m called|i am called)", re.I)),
    ("age", re.compile(r"^(?:how old i am|my age\b|i'?m \d+|i am \d+)", re.I)),
    ("allergy", re.compile(r"^(?:i'?m allergic|i am allergic|what i'?m allergic|my allerg)", re.I)),
)  # fmt: skip
_MY_THING = re.compile(r"\b(?:my|our)\s+([a-z-]+(?:\s+[a-z-]+){0,2})", re.I)
# Where the name of a thing of theirs ends: "my locker code is 4512", "my cat's name".
_THING_ENDS = frozenset(
    {"is", "are", "was", "were", "lives", "live", "from", "in", "at", "to", "and", "for", "that", "which", "called",
     "name", "names", "please", "pls", "now", "again"}
)  # fmt: skip


def fact_to_forget(text: str) -> MemoryQuestion | None:
    """The one thing a whole message asks the assistant to forget ("forget my dog's name" -> dog, "please forget
    where I live" -> home, "forget what I told you about my sister" -> sister), or None. Forgetting everything about
    the writer is another request (services/common/persona/forgetting.py)."""
    match = _FORGET_ONE.match(text.strip())
    if match is None or len(match.group("what").split()) > 12:
        return None
    what = match.group("what").strip()
    for subject, pattern in _FORGET_SELF:
        if pattern.match(what):
            return MemoryQuestion(subject, "what")
    for word in re.findall(r"[a-z'\u2019-]+", what.lower()):
        base = word.removesuffix("'s").removesuffix("\u2019s")
        if base in PETS or base in RELATIONS:
            return MemoryQuestion(base, "what")
    mine = _MY_THING.search(what)
    if mine is None:
        return None
    words: list[str] = []
    for word in mine.group(1).lower().split():
        if word in _THING_ENDS:
            break
        words.append(word.removesuffix("'s").removesuffix("\u2019s"))
        if word.endswith(("'s", "\u2019s")):
            break
    return MemoryQuestion(" ".join(words), "what") if words else None
