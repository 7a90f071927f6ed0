"""A physical emergency happening now: someone's life or safety in immediate danger, where the first thing to
say is the number to call.

Abi's crisis signal is about suicide and self-harm (services/common/safety/crisis.py); a collapse, a fire, a break-in
or a child who swallowed batteries is not in it, and Abi's model was not trained on them. So the personas
recognise them here, from patterns of what people write when it is happening (the body, the home, a person
missing, an accident) and a learned head on the index's sentence vector, and lead the answer with the region's
emergency number from the crisis resources table (services/common/safety/resources.py): Abbey, and Aviva when a
message in an emergency reaches her. No library that installs offline recognises emergencies in chat text; the
patterns were written from first-aid and emergency-service guidance of what to call for, then measured on a
blind set (figures and the set in services/abbey/README.md).

What is not happening now is left alone: a story that ended well ("last year dad had a heart attack, he's
doing great now"), a calm first-aid question ("what should you do if someone is choking?"), fiction, and
figures of speech ("my inbox is on fire") that the patterns do not match in the first place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from services.common.safety.head import LogisticHead

_PEOPLE = (
    r"son|daughter|child|kid|baby|toddler|boy|girl|mum|mom|mother|dad|father|grandma|grandpa|grandmother|"
    r"grandfather|nan|husband|wife|partner|brother|sister|friend|neighbou?r|flatmate|roommate|grandson|"
    r"granddaughter|niece|nephew|little one|twins?|\d+ ?(?:-| )?(?:year|yr|month)s?(?:-| )old|\d+ ?(?:yo|y/o)"
)
# kind -> what people write while it is happening. English first, then the commonest phrasings in a few
# other languages (Spanish, French, German, Portuguese, Hindi in Latin script).
PATTERNS: Final[dict[str, re.Pattern[str]]] = {
    "medical": re.compile(
        # Someone's body failing, said of a person (the writer's own "I can't breathe" is as often panic).
        rf"\b(?:{_PEOPLE}|he|she|they|someone|somebody|a man|a woman|an old man|an old lady)\b.{{0,30}}"
        r"\b(?:(?:not|isn'?t|is not|stopped|can'?t|cannot|struggling to|barely) breath(?:e|ing)|unconscious|"
        r"unresponsive|won'?t wake up|not waking up|not responding|passed out|collapsed|keeled over|"
        r"having a (?:seizure|fit|stroke|heart attack)|turning blue|choking|drowning)\b"
        r"|\bcan'?t wake (?:him|her|them)\b|\b(?:i'?m|he'?s|she'?s|they'?re) having a (?:heart attack|stroke)\b"
        r"|\b(?:i have|i'?ve got|i'?m having|he has|she has|he'?s got|she'?s got) (?:bad |severe |sudden |crushing )?"
        r"chest pains?\b|\bface (?:is )?droop\w*"
        r"|\banaphyla\w*|\b(?:having|having an|is having an?|in) (?:severe )?allergic reaction\b"
        r"|\bthroat (?:is )?(?:swelling|closing)|\b(?:lips?|tongue) (?:is |are )?(?:swelling|swollen)\b|\bepi-?pen\b"
        r"|\b(?:bleeding (?:heavily|a lot|badly|everywhere|non-?stop)|won'?t stop bleeding|(?:lots of|so much) blood|"
        r"blood everywhere)\b"
        r"|\b(?:no respira|inconsciente|se desmay[oó]|ne respire (?:plus|pas)|inconscient|atmet nicht|bewusstlos|"
        r"n[aã]o (?:est[aá] )?respira|desmaiou|saans nahi|behosh)\b",
        re.IGNORECASE | re.DOTALL,
    ),
    "child_medical": re.compile(
        rf"\b(?:{_PEOPLE}|he|she)\b.{{0,40}}\b(?:swallowed|ate|drank|has eaten|got into)\b.{{0,40}}"
        r"\b(?:pills?|tablets?|medicine|battery|batteries|magnets?|bleach|detergent|pods?|poison\w*|chemicals?|"
        r"cleaner|antifreeze|paracetamol|ibuprofen)\b"
        r"|\b(?:baby|newborn|infant|toddler)\b.{0,80}\b(?:limp|floppy|won'?t wake|blue lips|turning blue|"
        r"(?:fever|temperature|temp) (?:of |is |at )?(?:4[0-2](?:[.,]\d)?|10[3-7](?:\.\d)?))"
        r"|\b(?:hit|banged) (?:his|her|their|my) head\b.{0,80}\b(?:vomit\w*|throwing up|confused|won'?t wake|"
        r"unconscious|drowsy)\b",
        re.IGNORECASE | re.DOTALL,
    ),
    "fire_gas": re.compile(
        r"\b(?:house|flat|apartment|kitchen|building|home|room|garage|bedroom|hallway)(?:'s| is| has| just)+ "
        r"(?:on fire|burning|full of smoke|caught fire)\b"
        r"|\b(?:there'?s|there is) (?:a )?fire\b|\bfire in (?:the|my|our) (?:house|flat|kitchen|building|home|room)\b"
        r"|\bsmoke (?:is )?(?:coming|pouring|everywhere|filling)\b"
        r"|\b(?:smell(?:s|ing)? (?:of )?gas|gas leak)\b|\b(?:carbon monoxide|co) (?:alarm|detector)\b.{0,20}"
        r"\b(?:going off|beeping|went off|sounding)\b"
        r"|\bwildfire\b.{0,60}\b(?:here|our street|our house|coming|close|evacuat\w+|next to)\b"
        r"|\b(?:es brennt|il y a (?:le|un) feu|incendio en|inc[eê]ndio n[ao]|aag lag)\w*",
        re.IGNORECASE | re.DOTALL,
    ),
    "intruder_violence": re.compile(
        r"\b(?:someone|somebody|a man|a guy|men|people|a stranger|he|she|they)\b.{0,30}\b(?:trying to (?:get|break) in|"
        r"breaking in|broke in|(?:is|are) in (?:my|our|the) (?:house|flat|home|apartment)|trying (?:the|my|our) "
        r"(?:door|handle|window|lock)|banging on (?:the|my|our) (?:door|window))\b"
        r"|\b(?:an intruder|a break-in)\b"
        r"|\b(?:someone|somebody|a man|a guy|he|she|they|my \w+)\b.{0,20}\b(?:has|with|holding|pulled|waving) a "
        r"(?:knife|gun|weapon|machete)\b"
        r"|\b(?:he|she|they|someone)(?:'s| is| are)? (?:hitting|beating|attacking|strangling|stabbing) "
        r"(?:me|us|my|her|him)\b"
        r"|\bthreatening to (?:kill|hurt|stab|shoot) (?:me|us|my)\b",
        re.IGNORECASE | re.DOTALL,
    ),
    "missing_person": re.compile(
        rf"\b(?:can'?t|cannot|can not) find (?:my|our) (?:{_PEOPLE})\b"
        rf"|\b(?:{_PEOPLE})\b.{{0,30}}\b(?:is missing|went missing|has gone missing|wandered off|"
        r"(?:didn'?t|hasn'?t|has not|did not) come home)\b",
        re.IGNORECASE | re.DOTALL,
    ),
    "accident": re.compile(
        r"\b(?:car|bike|motorbike|motorcycle|scooter) (?:crash|accident)\b.{0,60}\b(?:just|now|hurt|injured|"
        r"bleeding|trapped|not moving)\b"
        r"|\b(?:just|been) (?:hit by a (?:car|bus|truck|van)|in a (?:car |bad )?(?:crash|accident))\b"
        r"|\b(?:fell|fallen) (?:down|off|from)\b.{0,60}\b(?:can'?t move|not moving|won'?t move|unconscious|"
        r"bleeding|can'?t get up)\b",
        re.IGNORECASE | re.DOTALL,
    ),
}

# It is over: a story told afterwards, with no sign that anything is happening now.
_OVER = re.compile(
    r"\b(?:last (?:year|month|week|summer|winter|spring|autumn|christmas)|years? ago|months? ago|when i was (?:a )?"
    r"(?:kid|child|little|young)|back in (?:19|20)\d\d|(?:is|are|'s|was) (?:fine|ok|okay|alright|all right|safe|"
    r"recovered|doing (?:well|great|fine|better)) now|thankfully|luckily|in the end|fully recovered)\b",
    re.IGNORECASE,
)
_NOW = re.compile(
    r"\b(?:right now|just|help|please|hurry|quick|what do i do|what should i do|911|999|112|000|ambulance)\b|!",
    re.IGNORECASE,
)
# A state that has lasted ("she barely eats these days", "for weeks"), or a refusal addressed to the writer ("my son
# won't talk to me anymore"): an estrangement, a habit or a mood, not something happening now. Read only against the
# head, whose "won't talk" is a person who cannot answer. "anymore" alone is not one: "not crying anymore" in a hot
# car is a change that just happened; a collapse "for the last ten minutes" is minutes.
_LASTED = re.compile(
    r"\b(?:these days|lately|for (?:(?:several|a few|many|some|two|three|four|five|six|\d+) )?"
    r"(?:weeks|months|years|ages)|for (?:a|one) (?:week|month|year)|"
    r"(?:won't|wont|will not|doesn't|does not|refuses to|stopped) (?:talk|speak|talking|speaking) to (?:me|us)|"
    r"(?:won't|wont|doesn't|does not|stopped) (?:answer|answering|return|returning|pick up|picking up) my "
    r"(?:calls|texts|messages))\b",
    re.IGNORECASE,
)
# Not happening to anyone: a question about what one should do if ..., a story being written, a game.
_HYPOTHETICAL = re.compile(
    r"^\s*(?:what|how)\b[^.?!]{0,40}\b(?:should|do|would|can|could)\b[^.?!]{0,40}\bif\b"
    r"|\b(?:in|for) (?:my|a|the) (?:novel|story|book|screenplay|script|film|movie|game|campaign|scene|chapter)\b"
    r"|\bmy (?:character|protagonist|hero|heroine)\b|\bhypothetically\b|\bwhat if\b",
    re.IGNORECASE,
)

# Already in care: in hospital, intensive care or A&E, with doctors or nurses, or paramedics arrived. The number to
# call is not what to say first about a body failing there; a fire, an intruder or a missing person still is an
# emergency ("mum's in hospital and someone is breaking into her house").
_IN_CARE = re.compile(
    r"\b(?:is|are|'s|'re|been|still|now|currently|stays?|staying|was taken|were taken|got admitted|admitted)"
    r" (?:in|at|to|into) (?:the )?(?:hospital|icu|intensive care|a ?& ?e|er|emergency room|ward|hospice)\b"
    r"|\bthe (?:doctors?|nurses?|surgeons?|consultants?) (?:are|aren'?t|say|said|told|won'?t|"
    r"haven'?t|keep|think|don'?t)\b|\bparamedics (?:are )?(?:here|arrived|have arrived)\b",
    re.IGNORECASE,
)

# A machine that will not work: what the learned head alone finds is left when the message tells of something that
# won't turn on, start, boot, charge, load or connect, or stopped working ("it won't turn on now" after a laptop
# fell: the sentence vector does not hold what "it" is). A person's body failing is in the patterns, not here.
_MACHINE_FAILING = re.compile(
    r"\b(?:won'?t|will not|wont|doesn'?t|does not|didn'?t|can'?t|cannot|isn'?t|is not|refuses to|keeps? failing to)"
    r" (?:even )?(?:turn on|switch on|power on|power up|start(?: up)?|boot(?: up)?|charge|load|connect|work|open)\b"
    r"|\b(?:stopped|quit) working\b|\bkeeps? (?:crashing|freezing|restarting|rebooting)\b",
    re.IGNORECASE,
)

HEAD_PATH: Final = Path(__file__).with_name("emergency_head.json")
LEARNED = "other"  # the kind reported when only the learned head recognises an emergency
# The learned head reads messages of at least this many words: the vector of two or three words is mostly those
# words ("can't sleep" sits by "can't breathe", 0.956), and the patterns hold the brief emergencies' own words.
HEAD_MIN_WORDS: Final = 4
# The kinds about a body failing, which someone already in care (`_IN_CARE`) is not.
_CARED_FOR_KINDS: Final = frozenset({"medical", "child_medical", "accident", LEARNED})


class EmergencyHead(LogisticHead):
    """The logistic head on the embedding index's sentence vector of a message (the vector `Embed` returns),
    fitted by `make train-emergency` (services/common/safety/training) on blind-written messages: it recognises
    what the patterns have no words for. Its card (data, cross-validated figures, the threshold's rule) is in
    the same file."""

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> EmergencyHead:
        return cls.read(path)


def emergency_kind(text: str, head: EmergencyHead | None = None, vector: Sequence[float] | None = None) -> str:
    """The kind of emergency `text` describes as happening now ("medical", "fire_gas", ... or `LEARNED` when only
    the head, given the message's vector, recognises one), or ""."""
    kind = next((name for name, pattern in PATTERNS.items() if pattern.search(text)), "")
    if not kind and head is not None and len(text.split()) >= HEAD_MIN_WORDS and not _MACHINE_FAILING.search(text):
        lasted = bool(_LASTED.search(text)) and not _NOW.search(text)
        kind = LEARNED if not lasted and head.fires(vector) else ""
    if not kind:
        return ""
    if _HYPOTHETICAL.search(text) and not re.search(r"\bright now\b", text, re.IGNORECASE):
        return ""
    if _OVER.search(text) and not _NOW.search(text):
        return ""
    if kind in _CARED_FOR_KINDS and _IN_CARE.search(text):
        return ""
    return kind


# One practical step per kind, after the number: what emergency services tell callers first. Nothing more
# specific is given: the call handler guides the rest.
FIRST_STEPS: Final = {
    "medical": "If you can, stay with them and put the phone on speaker: the call handler will talk you through "
    "what to do until help arrives.",
    "child_medical": "Keep whatever they swallowed, or its packet, to show the call handler and the paramedics, and "
    "don't make them sick unless you are told to.",
    "fire_gas": "Get everyone you can out and away from the building, and don't go back in: tell the call handler "
    "who is still inside. With a gas smell, don't switch anything on or off.",
    "intruder_violence": "If you can, get yourself somewhere that locks and stay on the line; your safety comes first.",
    "missing_person": "Tell them what the person is wearing and where and when you last saw them; every minute "
    "counts, so call before searching further.",
    "accident": "Keep yourself safe from traffic or other danger, and don't move anyone who is hurt unless they "
    "are in more danger where they are.",
    LEARNED: "Stay on the line: the call handler will tell you what to do while help is on the way.",
}


def emergency_line(number: str) -> str:
    """What Abbey says first: the number to call, before anything else."""
    return f"If anyone is in immediate danger or hurt, call {number} now; they can guide you while help is on the way."
