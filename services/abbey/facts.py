"""Facts a person tells Abbey about themselves, and direct questions about them.

Kinds: `pet` and `person` (key: "dog", "sister"; value: the name when given), `self` (key: "job", "home",
"name", "age"), `preference` (key: "brevity" = short|long, "formality" = formal|casual) and `event` (what
happened, with its emotional weight). Questions are never facts. Works on redacted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.abbey.language import asks_to_remember, is_question, name_of, parse, second_person, without_openers
from services.common.personal import PETS, RELATIONS


@dataclass(frozen=True)
class Fact:
    kind: str
    key: str
    value: str
    text: str  # second person, for saying back: "your old dog Biscuit died last week"
    source: str  # the person's own (redacted) sentence, what the index embeds
    weight: float = 0.0  # emotional weight, 0..1
    emotion: str = ""


_PREFERENCES = (
    ("brevity", "short", re.compile(
        r"\b(keep (it|them|your answers|answers) (short|brief)|(shorter|brief|short) (answers|replies|responses)"
        r"|be (more )?(brief|concise)|too long|less detail|tl;?dr|get to the point)\b", re.I)),
    ("brevity", "long", re.compile(r"\b(more detail|longer (answers|replies)|go deeper|in more depth)\b", re.I)),
    ("formality", "formal", re.compile(r"\b(be (more )?formal|formal (tone|language)|professional tone)\b", re.I)),
    ("formality", "casual", re.compile(
        r"\b(be (more )?casual|less formal|informal|talk (to me )?normally|no need to be formal)\b", re.I)),
)  # fmt: skip
# The occupations "I'm a/an ..." names (a state such as "I'm a mess" or "I'm a big fan" is not one), and the words that
# may come before them ("software engineer", "primary school teacher").
_OCCUPATIONS = (
    "nurse|teacher|developer|engineer|doctor|student|designer|writer|programmer|lawyer|chef|cook|accountant|artist|"
    "musician|researcher|manager|scientist|paramedic|midwife|pharmacist|dentist|vet|surgeon|therapist|"
    "psychologist|social worker|carer|caregiver|cleaner|plumber|electrician|builder|carpenter|mechanic|"
    "driver|pilot|firefighter|police officer|soldier|farmer|gardener|baker|barista|waiter|waitress|bartender|"
    "cashier|shop assistant|receptionist|secretary|administrator|analyst|consultant|architect|journalist|"
    "editor|photographer|translator|librarian|lecturer|professor|tutor|coach|trainer|hairdresser|"
    "beautician|technician|security guard|postman|courier|civil servant|clerk|banker|"
    "salesperson|estate agent|entrepreneur|freelancer|data scientist|student nurse|phd student|intern"
)
_JOB_QUALIFIERS = (
    r"software|web|civil|mechanical|electrical|senior|junior|head|lead|trainee|staff|primary school|secondary school|"
    r"high school|school|maths|math|english|science|music|art|nursery|special needs|ward|community|graphic|"
    r"freelance|bus|lorry|truck|taxi|delivery|sous|pastry|dental|veterinary|retired"
)
# "I teach maths at a secondary school", "I teach year 6": the job of a teacher, named by the verb.
_TEACHES = re.compile(r"\bi (?:teach|am teaching|'m teaching) (?=[a-z0-9])", re.I)
_SELF = (
    (
        "job",
        re.compile(
            r"\bi (?:work|am working) as (?:an? )?([a-z][a-z -]{2,40}?)"
            r"(?=[,.;!]|\s+(?:at|in|for|so|and|but|because|since|which|where)\b|$)",
            re.I,
        ),
    ),
    (
        "job",
        re.compile(
            rf"\bi(?:'m| am) an? ((?:(?:{_JOB_QUALIFIERS}) )?(?:{_OCCUPATIONS}))\b",
            re.I,
        ),
    ),
    # "I work at a bakery in town", "I work for the council", "I work in IT": where, kept with its preposition ("in"
    # only after "I work": "I'm working in the garden" is what one is doing, "I work in the evenings" when)
    (
        "job",
        re.compile(
            r"\bi (?!(?:am|'m) working in\b)(?:work|am working|'m working) ((?:at|for|in(?! (?:the )?(?:mornings?|"
            r"evenings?|afternoons?|nights?|shifts|bed|pyjamas)\b)) (?:an? |the )?[a-z][\w' -]{1,40}?)"
            r"(?=[,.;!]|\s+(?:as|so|and|but|because|since|which|where)\b|$)",
            re.I,
        ),
    ),
    ("home", re.compile(r"\b(?i:i) (?:live|moved) (?:in|to) ([A-Z][\w' -]{1,40}?)(?=[,.;!]| and |$)")),
    ("name", re.compile(r"\b(?i:my name is) ([A-Z][\w'-]{1,30})")),
    # "hi, I'm Sam and ...", "call me Jo": a capitalised word that ends the phrase, not a capitalised state
    (
        "name",
        re.compile(
            r"\b(?i:i'm|i am|call me) (?!(?:Good|Fine|Ok|Okay|Alright|Sorry|Back|Here|Done|Ready|Sure|Tired|Happy|"
            r"Sad|Glad|Sick|Home|Well|Great|Not|So|Just|Still|Also|Really|Very|Lost|Confused|Bored|Busy|Free|"
            r"Scared|Worried|Nervous|Afraid|Excited|Stuck|New)\b)([A-Z][a-z'-]{1,20})(?=\s*(?:[,.!;]|(?i:and)\b|$))"
        ),
    ),
    ("age", re.compile(r"\bi(?:'m| am) (\d{1,3}) (?:years old|yo)\b", re.I)),
    # Health and food facts an assistant should not forget: "I'm allergic to peanuts", "I am vegetarian".
    (
        "allergy",
        re.compile(
            r"\bi(?:'m| am) (?:(?:very|really|so|badly|severely|mildly) )?allergic to ([a-z][\w' -]{1,40}?)"
            r"(?=[,.;!]| and | but | so |$)",
            re.I,
        ),
    ),
    (
        "diet",
        re.compile(
            r"\bi(?:'m| am| have been|'ve been) (?:a )?(vegetarian|vegan|pescatarian|gluten[- ]free|"
            r"lactose[- ]intolerant|coeliac|celiac|halal|kosher)\b",
            re.I,
        ),
    ),
)


def introduces_self(text: str) -> bool:
    """Whether the writer gives their name ("hi, I'm Tom", "my name is Sara", "call me Jo")."""
    return any(pattern.search(text) for key, pattern in _SELF if key == "name")


# "my locker code is 4417", "our wifi password is on the fridge": any attribute the person states (`self`,
# keyed by the attribute's words); pets, people and the named attributes above are caught first.
_ATTRIBUTE = re.compile(
    r"\b(?:my|our) ((?:[a-z]+ ){0,3}[a-z]+) (?:is|are|was|were) ([^,.;!?]{1,80}?)(?=\s+and\s+(?:my|our)\b|[,.;!?]|$)",
    re.I,
)

# A pet or a person introduced by name rather than as "my ...": "I just adopted a rescue cat called Mochi", "we got a
# puppy named Rex", "I have a sister called Anna". The noun is the fact's key, the name its value.
_INTRODUCED = re.compile(
    r"\b(?:i|we)(?:'ve| have)?\s+(?:just\s+|finally\s+|recently\s+|also\s+)?(?:have|had|got|adopted|rescued|bought|"
    r"own|brought home|took in|welcomed)\s+(?:a|an)\s+(?:[a-z-]+\s+){0,2}?([a-z-]+)\s+(?:called|named)\s+"
    r"([A-Z][\w'-]+)",
    re.I,
)
_OPENING_CONJUNCTION = re.compile(r"^(?:and|but|so|then|also)\s+", re.I)
_EVENT_WORDS = re.compile(
    r"\b(died|passed away|lost|broke up|divorc\w*|fired|laid off|got (?:a|the|my)|started|moved|married|engaged|"
    r"pregnant|diagnos\w*|sick|ill|surgery|graduat\w*|promot\w*|retir\w*|born|accident|fight|argument|rejected|"
    r"accepted|won|failed|quit)\b",
    re.I,
)


# Where the writer lives, read from the parse when the words are not exactly "I live in X" (`_SELF`): "my partner
# Jonas and I just moved to Lisbon", "we live in Leeds now", "I've been living in Dublin for three years".
_LIVING = frozenset(
    {"live", "lives", "lived", "living", "move", "moved", "moving", "relocated", "relocating", "settled", "emigrated"}
)
_MOVING_NOW = frozenset({"moving", "relocating"})  # "we're moving to Porto next month": a plan


def _home_in(sentence: Any) -> str:
    """The place (spaCy's GPE or LOC entity) the writer says they live in or moved to, or ""; not when the verb is
    wished or planned ("I want to move to Spain", "we're moving to Porto"), negated or said of someone else."""
    for verb in sentence:
        if verb.lower_ not in _LIVING or verb.dep_ == "xcomp":
            continue
        children = list(verb.children)
        writer = any(
            child.dep_ == "nsubj" and any(who.lower_ in ("i", "we") for who in (child, *child.conjuncts))
            for child in children
        )
        helpers = [child for child in children if child.dep_ in ("aux", "neg")]
        wished = any(child.dep_ == "neg" or child.tag_ == "MD" for child in helpers)
        planned = verb.lower_ in _MOVING_NOW and not any(child.lower_ == "been" for child in helpers)
        if not writer or wished or planned:
            continue
        for prep in (child for child in children if child.dep_ == "prep" and child.lower_ in ("in", "to")):
            place = next((c for c in prep.children if c.dep_ == "pobj" and c.ent_type_ in ("GPE", "LOC")), None)
            if place is not None:
                return next(entity.text for entity in sentence.ents if entity.start <= place.i < entity.end)
    return ""


def _owned(token: Any) -> bool:
    """'my dog' — or 'my dog Rex', where the parser hangs 'my' on the name and 'dog' is its compound."""
    owners = ("my", "our")
    if any(child.lower_ in owners for child in token.children):
        return True
    return token.dep_ in ("compound", "nmod") and any(child.lower_ in owners for child in token.head.children)


def extract_facts(text: str, *, emotion: str = "", intensity: float = 0.0) -> list[Fact]:
    """The facts a message tells about its author (none from questions)."""
    facts: list[Fact] = []
    for key, value, pattern in _PREFERENCES:
        if pattern.search(text):
            facts.append(Fact("preference", key, value, f"you prefer {_PREFERENCE_WORDS[(key, value)][0]}", text))
    doc = parse(text)
    for sentence in doc.sents:
        raw = sentence.text.strip()
        if not raw or (is_question(raw) and not asks_to_remember(raw)):
            continue
        # A sentence the parser split off after a greeting ("hi, I'm Sam and I just adopted ...") may open with
        # its conjunction; said back, "you told me that and you just adopted" would not read.
        said = _OPENING_CONJUNCTION.sub("", second_person(without_openers(raw).rstrip(".!")).strip())
        found = False
        for token in sentence:
            lowered = token.text.lower()
            if not _owned(token):
                continue
            if lowered in PETS or lowered in RELATIONS:
                kind = "pet" if lowered in PETS else "person"
                facts.append(Fact(kind, lowered, name_of(token), said, raw, intensity, emotion))
                found = True
        for introduced in _INTRODUCED.finditer(raw):
            noun, name = introduced.group(1).lower(), introduced.group(2)
            if noun in PETS or noun in RELATIONS:
                facts.append(Fact("pet" if noun in PETS else "person", noun, name, said, raw, intensity, emotion))
                found = True
        for key, pattern in _SELF:
            match = pattern.search(raw)
            if match:
                facts.append(Fact("self", key, match.group(1).strip(), said, raw, intensity, emotion))
                found = True
        home = "" if any(f.key == "home" for f in facts if f.source == raw) else _home_in(sentence)
        if home:
            facts.append(Fact("self", "home", home, said, raw, intensity, emotion))
            found = True
        if _TEACHES.search(raw) and not any(f.key == "job" for f in facts if f.source == raw):
            facts.append(Fact("self", "job", "teacher", said, raw, intensity, emotion))
            found = True
        if not found:
            for attribute in _ATTRIBUTE.finditer(raw):
                key = attribute.group(1).lower()
                if key.split()[-1] in (*PETS, *RELATIONS):
                    continue
                facts.append(Fact("self", key, attribute.group(2).strip(), said, raw, intensity, emotion))
                found = True
        if not found and _EVENT_WORDS.search(raw) and re.search(r"\b(i|my|i'm|i've|we|our)\b", raw, re.I):
            facts.append(Fact("event", _slug(raw), "", said, raw, intensity, emotion))
    return facts


# Each preference: what it is said back as, and what she says to it, how she will answer from now on ("I prefer
# short answers please" had got "That's lovely to hear ... Enjoy it").
_PREFERENCE_WORDS = {
    ("brevity", "short"): ("short answers", "I'll keep my answers short."),
    ("brevity", "long"): ("detailed answers", "I'll give you fuller answers."),
    ("formality", "formal"): ("a formal tone", "I'll keep a formal tone."),
    ("formality", "casual"): ("a casual tone", "I'll keep it casual."),
}


def preference_promise(facts: list[Fact]) -> str:
    """ "Got it: ..." for a message that tells only preferences; "" when it tells anything else."""
    if not facts or any(f.kind != "preference" for f in facts):
        return ""
    return "Got it: " + " ".join(_PREFERENCE_WORDS[(f.key, f.value)][1] for f in facts)


def _slug(text: str) -> str:
    words = re.findall(r"[a-z]+", text.lower())
    return "-".join(words[:8])
