"""The crisis response: what a persona says when someone may be at risk, before anything else.

A crisis is decided by Abi (`routing.crisis`, or moderation `redirect_to_support`), and Abi sends every flagged
message to the support persona, Abbey. Every persona also recognises the clearest statements herself, in case
she is called without a routing decision or Abi missed them: Aviva too gives the crisis answer then, never
documentation. The kind of crisis decides the words, never the emotion guess:

- `self`: a direct disclosure ("I want to end my life").
- `indirect`: hints without the words (goodbye letters, "everyone would be better off without me").
- `third_party`: someone else is at risk ("my friend says she wants to die"): guidance for the helper.
- `third_party_attempt`: someone else has already done it ("my friend texted me she took a bunch of pills"): the
  emergency number first, then what the helper can do while help comes.
- `method`: asking for means or methods: no information, care instead.
- `attempt`: happening now (pills taken, a cut that will not stop bleeding): the emergency number first.
- `self_harm`: hurting oneself without words of suicide ("I keep cutting my arms"): care for that, not the
  suicide question.
- `check`: Abi's flag alone, and a weak one (its crisis score below `SURE_SCORE`), on a message with no words
  of risk: most such flags are everyday messages ("Found a hair in my sandwich. Think lunch is over."), a few
  are not. Abbey answers what was said, calmly, then asks gently and gives the resources.
- `follow_up`: a turn soon after a crisis in the same conversation, with no words of risk and no flag of its
  own, that answers the crisis answer's question in a word ("yes", "no", "idk": read alone, a "no" to "are you
  safe right now?" is nothing) or waves the subject away or closes the conversation ("thanks, bye", "never mind,
  I'm fine"): the concern is not dropped. Abbey answers in kind, asks again whether they are safe or how they are
  now, and gives the resources again and the way back.

Every crisis answer acknowledges what was said, never celebrates or asks what they look forward to,
never lectures, gives resources for the person's region, and invites them to keep talking.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from personamesh.v1 import persona_pb2
from services.common.conversation import user_messages
from services.common.persona.logic import SystemPrompt
from services.common.safety.head import LogisticHead
from services.common.safety.resources import Resources
from services.common.text import unsaid

SELF = "self"
INDIRECT = "indirect"
THIRD_PARTY = "third_party"
METHOD = "method"
CHECK = "check"
FOLLOW_UP = "follow_up"
ATTEMPT = "attempt"
SELF_HARM = "self_harm"
THIRD_PARTY_ATTEMPT = "third_party_attempt"
KINDS = (SELF, INDIRECT, THIRD_PARTY, METHOD, CHECK, ATTEMPT, SELF_HARM, THIRD_PARTY_ATTEMPT, FOLLOW_UP)
# Someone else is at risk: the answer guides the person trying to help.
HELPING: Final = frozenset({THIRD_PARTY, THIRD_PARTY_ATTEMPT})
# Abi's crisis threshold is recall-first (0.02). Of the flags below this score on the tuning sets (the crisis
# method and style selection sets, the empathy sets; 30 flags), 4 were crises; at or above it, 225 of 250.
SURE_SCORE = 0.2
# A crisis is carried into this many of the conversation's next turns (`FOLLOW_UP`).
FOLLOW_UP_TURNS: Final = 3


# How much of what was taken makes it an overdose: "I had two paracetamol for my headache" does not.
_AMOUNT = (
    r"(?:a whole|the whole|all (?:of )?(?:my|the|his|her)|an entire|a (?:bottle|packet|box|pack|strip|handful|load|"
    r"bunch)(?: of)?|too many|loads of|lots of|a lot of|\d{2,}|twenty|thirty|forty|fifty|a hundred)"
)
_SUBSTANCE = (
    r"(?:pills?|tablets?|capsules?|meds|medication|medicine|paracetamol|acetaminophen|tylenol|ibuprofen|aspirin|"
    r"painkillers?|sleeping (?:pills|tablets)|antidepressants?|insulin|antifreeze|bleach)"
)
# A quantity of a substance ("a whole bottle of paracetamol"), and that quantity taken, whoever took it ("had" counts
# only for the writer, in _ATTEMPT: "she had a bunch of pills" may only say what she owns).
_TOO_MUCH = rf"{_AMOUNT}\b.{{0,30}}\b{_SUBSTANCE}\b"
_TOOK_TOO_MUCH = rf"(?:took|taken|swallowed|downed)\s+{_TOO_MUCH}"
_OTHERS = (
    r"friend|best friend|sister|brother|son|daughter|mom|mum|mother|dad|father|partner|wife|husband|girlfriend|"
    r"boyfriend|roommate|flatmate|classmate|student|colleague|coworker|co-worker|cousin|kid|child|teen|teenager|"
    r"grandma|grandpa|aunt|uncle|niece|nephew|neighbou?r|fiancée?|someone i know|somebody i know"
)
_THEM = r"(?:he|she|they|him|her|them|his|their)"
_SOMEONE_ELSE = rf"(?:{_THEM}|(?:my|our)\s+(?:{_OTHERS}))"
_RISK_WORDS = (
    r"suicid\w*|kill (?:him|her|them|my)sel(?:f|ves)|end(?:ing)? (?:his|her|their|my|it) (?:own )?(?:life|lives|all)|"
    r"take (?:his|her|their|my) (?:own )?life|hurt(?:ing)? (?:him|her|them|my)sel(?:f|ves)|self[- ]harm\w*|"
    r"cut(?:ting)? (?:him|her|them|my)sel(?:f|ves)|(?:want|wants|wanted|going) to die|wanna die|overdos\w*|"
    r"not (?:want|wanting) to (?:live|be alive|be here)|(?:doesn't|don't|didn't) want to (?:live|be alive|be here)|"
    r"(?:sleep|go to sleep) and (?:not|never) wake up|sleep forever|never wake up|bleed(?:ing)? out|" + _TOOK_TOO_MUCH
)
_THIRD = re.compile(
    rf"\b(?:my|our|a|one of my)\s+(?:{_OTHERS})\b.{{0,120}}?\b(?:{_RISK_WORDS}|goodbye|giving away)"
    rf"|\b{_THEM}\s+(?:says?|said|keeps? saying|told me|texted|wrote|posted|mentioned|talks? about)\b.{{0,60}}"
    rf"(?:{_RISK_WORDS})"
    rf"|\b(?:worried|scared|afraid)\b.{{0,40}}\b(?:{_OTHERS}|{_THEM})\b.{{0,60}}(?:{_RISK_WORDS})"
    rf"|\bhow (?:do|can|should) i help\b.{{0,80}}(?:{_RISK_WORDS})",
    re.I | re.S,
)
# Someone else says they will take a quantity ("my friend says she'll take all her pills tonight"). Only with Abi's
# crisis flag is that a crisis (`_unmistakable`): "she'll take all her pills on holiday" is not.
_SAYS = r"(?:says?|said|told me|texted(?: me)?|keeps? saying|mentioned|wrote|posted)(?:\s+that)?"
_WILL = (
    r"(?:'ll|\s+will|\s+is going to|'s going to|\s+are going to|\s+gonna|\s+plans? to|\s+wants? to|\s+threaten\w* to)"
)
_THIRD_INTENT = re.compile(
    rf"\b(?:(?:my|our)\s+(?:{_OTHERS})(?:\s+{_SAYS}\s+(?:he|she|they))?|he|she|they){_WILL}\s+(?:take|swallow|down)\s+"
    rf"{_TOO_MUCH}",
    re.I | re.S,
)
# Someone else's indirect signs, said of them in the same sentence ("my sister keeps saying she wants to disappear for
# good and gave away her cat"); like `_THIRD_INTENT`, a kind only with Abi's flag: "my sister gave away her old bike".
_THEIR_SIGNS = (
    r"disappear (?:forever|for good)|better off without (?:him|her|them)|gave away|giv(?:es|ing) away|"
    r"(?:can't|cannot) go on|no (?:reason|point) (?:to|in) (?:live|living|going on|being here)|"
    r"tired of (?:living|being alive)|won't be (?:around|here)|(?:doesn't|don't) want to wake up|"
    r"saying (?:her|his|their) goodbyes"
)
_THIRD_INDIRECT = re.compile(
    rf"\b(?:my|our)\s+(?:{_OTHERS})\b[^.?!]{{0,80}}?\b(?:he|she|they)\b[^.?!]{{0,40}}?\b(?:{_THEIR_SIGNS})",
    re.I | re.S,
)
# Someone else has already taken an overdose or hurt themselves: "my friend texted me that she took a bunch of pills".
_THIRD_ATTEMPT = re.compile(
    rf"\b{_SOMEONE_ELSE}\s+(?:has\s+|have\s+|'s\s+)?(?:just\s+|already\s+)?{_TOOK_TOO_MUCH}"
    rf"|\b{_SOMEONE_ELSE}\s+(?:has\s+|'s\s+)?(?:just\s+)?(?:overdosed|od'?d|tried to kill "
    r"(?:him|her|them)sel(?:f|ves)|attempted suicide)\b",
    re.I | re.S,
)
_METHOD = re.compile(
    r"\b(?:how (?:many|much)|what (?:dose|amount|height)|which (?:pills?|drugs?|medications?|bridge|building)|"
    r"lethal|fatal)\b.{0,60}\b(?:die|dying|dead|kill|lethal|fatal|overdose|od|end (?:it|my life)|suicide|"
    r"pills?|tablets?)\b"
    r"|\b(?:painless|quickest|fastest|easiest|surest|quietest|most effective|best|simplest)\s+(?:way|method|means)s?\s+"
    r"(?:to|of)\s+(?:die|dying|kill(?:ing)? (?:my|your)sel(?:f|ves)|end(?:ing)? (?:it|my life|a life)|suicide|"
    r"commit suicide|overdose)"
    r"|\bhow (?:to|do i|can i|would i|could i)\s+(?:kill myself|end my life|commit suicide|overdose|hang myself|"
    r"die (?:painlessly|quickly|in my sleep))"
    r"|\b(?:lethal|fatal) dose\b|\bhigh enough to (?:die|kill)\b"
    r"|\bhow long (?:does|would|will|did) it take (?:to|for (?:me|someone|a person) to) (?:die|bleed out|pass out|lose "
    r"consciousness|suffocate|drown)\b|\bbleed(?:ing)? out from\b",
    re.I | re.S,
)
# Happening now: a quantity of pills taken, a cut to oneself that will not stop bleeding, standing somewhere to
# jump. "I had two paracetamol for my headache" and "I took a lot of photos" are not.
_ATTEMPT = re.compile(
    rf"\bi(?:'ve| have)?\s+(?:just\s+|already\s+)?(?:took|taken|swallowed|had|downed)\s+{_TOO_MUCH}"
    r"|\bi(?:'ve| have)?\s+(?:just\s+)?(?:overdosed|od'?d)\b"
    r"|\bi(?:'ve| have)?\s+(?:just\s+)?(?:cut|slit|slashed)\s+(?:myself|my (?:wrists?|arms?|legs?|thighs?|throat))\b"
    r".{0,40}\b(?:won'?t stop bleeding|deep|bleeding (?:a lot|badly|everywhere|heavily))"
    r"|\bi'?m\s+(?:standing\s+|sitting\s+)?(?:on|at)\s+(?:the\s+)?(?:edge|ledge|roof|bridge|railing|tracks)\b.{0,60}"
    r"\b(?:jump|end it|goodbye|can'?t do this|going to)",
    re.I | re.S,
)
# Hurting oneself without words of suicide; "self-harm" as a topic needs Abi's flag (`_unmistakable`).
_HARMING_MYSELF = re.compile(
    r"\b(?:cut(?:ting)?|burn(?:ing)?|scratch(?:ing)?) (?:my (?:arms?|wrists?|legs?|thighs?|skin|stomach)|myself)\b"
    # told as happening again ("i relapsed and cut again last night", "I've started cutting again")
    r"|\bi(?:'ve| have)? (?:cut|burned|burnt)(?: myself)? again\b|\brelapsed\b[^.!?]{0,30}?\b(?:cut|burned|burnt)\b"
    r"|\b(?:started|been|went back to|back to) (?:cutting|burning)(?: myself)? again\b",
    re.I,
)
_PAST = re.compile(
    r"\b(?:used to|years? ago|when i was|clean (?:from|of|for)|free (?:from|of)|recovered|recovery|since i last|"
    r"(?:months?|weeks?) ago|last (?:year|month|summer|winter|spring|autumn|fall)|in (?:19|20)\d\d)\b",
    re.I,
)
_SELF_HARM = re.compile(rf"{_HARMING_MYSELF.pattern}|\bself[- ]harm\w*", re.I)
# Words of suicide; with words of hurting oneself, a direct disclosure.
_SUICIDE_WORDS = (
    r"kill(?:ing)? myself|suicid\w*|end(?:ing)? my (?:own )?life|take my (?:own )?life|(?:want|wanted|going|"
    r"plan(?:ning)?) to die|wanna die|end it all|(?:don't|do not) want to (?:live|be alive|exist)|not want to "
    r"(?:live|be alive)"
)
_SUICIDE = re.compile(rf"\b(?:{_SUICIDE_WORDS})\b", re.I)
_DIRECT = re.compile(rf"\b(?:{_SUICIDE_WORDS}|hurt(?:ing)? myself|self[- ]harm\w*|cut(?:ting)? myself)\b", re.I)
_INDIRECT = re.compile(
    r"better off without me|won't be (?:around|here) (?:much longer|for long|anymore|tomorrow)|"
    r"goodbye (?:letter|note|message)s?|(?:letter|note)s? to say goodbye|saying (?:my )?goodbyes|"
    r"giving away (?:my|all my)|no (?:reason|point) (?:to|in) (?:live|living|going on|being here)|"
    r"(?:don't|do not) want to wake up|wish i (?:could )?(?:wouldn't|didn't|never) wake up|"
    r"can't go on|cannot go on|can't do this anymore|disappear (?:forever|for good)|"
    r"(?:i am|i'm) (?:just )?a burden|tired of (?:living|being alive)|no way out|"
    r"(?:won't|will not) (?:need|be needing) (?:it|them|this) (?:anymore|much longer)|"
    r"(?:not|never) (?:be|being) here (?:next|by) |final (?:goodbye|arrangements)|put my affairs in order",
    re.I,
)

# The writer speaking of their own risk beside someone else's ("I want to end my life too", "my mum says she can't
# cope and I can't go on either"): then it is the writer's crisis, whatever is said of the other person.
_WRITERS_OWN = re.compile(
    r"\b(?:i|i'm|i've)\b[^.?!]{0,30}\b(?:myself|my life)\b"
    r"|\bi(?:'m| am)?\b[^.?!]{0,20}?\b(?:can't go on|cannot go on|a burden|tired of living)|without me\b",
    re.I,
)


def kind_of(text: str) -> str:
    """The kind of crisis a message speaks of; "" when it names none (Abi's flag then means `self`)."""
    if _ATTEMPT.search(text):
        return ATTEMPT
    if _THIRD_ATTEMPT.search(text) and not _PAST.search(text):
        return THIRD_PARTY_ATTEMPT
    if _METHOD.search(text):
        return METHOD
    if any(p.search(text) for p in (_THIRD, _THIRD_INTENT, _THIRD_INDIRECT)) and not _WRITERS_OWN.search(text):
        return THIRD_PARTY
    if _SELF_HARM.search(text) and not _SUICIDE.search(text):
        return SELF_HARM
    if _DIRECT.search(text):
        return SELF
    if _INDIRECT.search(text):
        return INDIRECT
    return ""


# Waving the subject away after telling it: "never mind", "forget I said anything", "I'm fine now", "just kidding".
_WAVED_AWAY = re.compile(
    r"\b(?:never\s?mind|nvm|forget (?:it|about it|(?:what|that) i (?:said|wrote)|i said anything)|"
    r"ignore (?:that|me|what i (?:said|wrote))|(?:just|only) (?:kidding|joking)|jk|i was (?:just )?(?:kidding|joking)|"
    r"didn'?t mean (?:it|that)|(?:i'?m|im|i am) (?:fine|ok|okay|alright|good)(?: now| really|,? honestly)?|"
    r"it'?s (?:fine|nothing|ok|okay)|doesn'?t matter|don'?t worry(?: about (?:it|me))?|all good)\b",
    re.IGNORECASE,
)
_WAVED_AWAY_MAX_WORDS = 15


# A bare answer to the crisis answer's question ("are you safe right now?", "are you thinking about ending your
# life?"): yes, no, or not knowing.
_BARE_REPLY = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|ya|y|no|nope|nah|n|not really|kind of|kinda|sort of|sorta|maybe|i guess|probably|"
    r"i (?:don'?t|dont) know|idk|dunno|not sure|i am|i'?m not|i do|i don'?t|i have|i haven'?t|always|sometimes|"
    r"a bit|a little)\b[\s.!?,]*(?:\w+[\s.!?,]*){0,3}$",
    re.IGNORECASE,
)
REPLY, CLOSING = "reply", "closing"


def follow_up_of(text: str, small_talk: str, gratitude: bool) -> str:
    """How a message said soon after a crisis stands to it: `REPLY`, a bare answer to the question the crisis
    answer asked; `CLOSING`, small talk (a goodbye, "ok"), thanks, or a short "never mind, I'm fine"; or "": a new
    question or story, answered as itself."""
    if _BARE_REPLY.match(text):
        return REPLY
    if small_talk or gratitude:
        return CLOSING
    return CLOSING if len(text.split()) <= _WAVED_AWAY_MAX_WORDS and _WAVED_AWAY.search(text) else ""


def earlier_crisis(request: persona_pb2.PersonaRequest, remembered: str, turns_since: int) -> str:
    """The kind of a crisis told in this conversation's last `FOLLOW_UP_TURNS` user turns: the one the persona
    remembers for the session (`remembered`, `turns_since` turns ago), else one named in words in the earlier
    turns the request carries (the session's state may live on another replica)."""
    if remembered and turns_since < FOLLOW_UP_TURNS:
        return remembered
    users = user_messages(request.recent_turns)
    return next((kind for kind in map(kind_of, reversed(users[-FOLLOW_UP_TURNS:])) if kind), "")


# The learned head for the kind whose answer differs most and whose words vary most: an attempt happening now
# (the emergency number first). `make train-attempt-head` (services/common/safety/training/attempt.py); the
# patterns above found 1 of 25 attempts of a blind set (`abbey_kinds_v1`, services/abbey/README.md). A head for
# self-harm did not meet its rule (see the trainer).
ATTEMPT_HEAD_PATH: Final = Path(__file__).with_name("attempt_head.json")


def refine(kind: str, attempt_head: LogisticHead | None, vector: Sequence[float] | None) -> str:
    """The kind of a crisis, with the attempt head's reading of its vector: only a message that is already a crisis
    (by Abi's flag or its words) is refined, and words of a method or of someone else keep their kind."""
    if not kind or kind in (ATTEMPT, METHOD, *HELPING) or attempt_head is None or not attempt_head.fires(vector):
        return kind
    return ATTEMPT


def flagged(request: persona_pb2.PersonaRequest) -> bool:
    """Abi's crisis flag or a redirect to support."""
    if not request.HasField("routing"):
        return False
    routing = request.routing
    return routing.crisis or routing.moderation.action == persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT


def assess(request: persona_pb2.PersonaRequest, kind: str, sure: float = SURE_SCORE) -> str:
    """The crisis kind of this request, or "" when it is not a crisis; `kind` is what its words say
    (`kind_of(request.content)`, which the caller needs too)."""
    if flagged(request):
        if kind:
            return kind
        # Abi's flag is recall-first: with no words of risk in the message, ask (the indirect answer) rather
        # than tell someone worried about their old dog that they want to end their life; when the flag is
        # weak too, answer what was said first and ask gently (`CHECK`). A flag without a score (a rule's
        # redirect) counts as sure.
        score = request.routing.crisis_score
        return CHECK if 0.0 < score < sure else INDIRECT
    # Without Abi's flag, only unmistakable statements count (Abi may be bypassed or down).
    return kind if kind in (ATTEMPT, METHOD, *HELPING, SELF, SELF_HARM) and _unmistakable(request.content, kind) else ""


def _unmistakable(text: str, kind: str) -> bool:
    if kind == SELF:
        return bool(re.search(r"\b(?:kill myself|end my life|take my own life|suicidal|want to die)\b", text, re.I))
    if kind == SELF_HARM:  # told of now, not of a past they are through ("when I was a teenager I used to ...")
        return bool(_HARMING_MYSELF.search(text)) and not _PAST.search(text)
    if kind == THIRD_PARTY:  # words of risk, not only a quantity someone means to take (`_THIRD_INTENT`)
        return bool(_THIRD.search(text))
    return True


_OPENINGS = {
    SELF: (
        "Thank you for telling me. Thinking about ending your life means you are carrying a great deal of pain "
        "right now, and I'm taking what you said seriously.",
        "I'm really glad you said this out loud to me. Wanting to die is a sign of how much you are hurting, and "
        "you deserve support with it.",
    ),
    INDIRECT: (
        "I want to gently check what I'm hearing: when you say this, are you thinking about ending your life? "
        "I'm asking because I care, and you can answer honestly here.",
        "What you wrote makes me worried about you, and I'd rather ask than guess: are you having thoughts of "
        "suicide or of not being here anymore?",
    ),
    THIRD_PARTY: (
        "It's a lot to carry when someone you care about may be thinking of ending their life, and reaching out "
        "for help is exactly the right thing to do.",
        "Thank you for looking out for them. Being the person someone turns to in a crisis is hard, and you don't "
        "have to handle it alone.",
    ),
    METHOD: (
        "I can't help with ways to hurt yourself, and that is because what happens to you matters to me.",
        "I won't give information about ways to die or doses, but I don't want to leave you alone with this either.",
    ),
    THIRD_PARTY_ATTEMPT: (
        "If they have already taken something or hurt themselves, this is a medical emergency even if they seem "
        "all right: call your local emergency number now, or get them to an emergency department.",
    ),
    ATTEMPT: (
        "What you've told me means you may need medical help right now, even if you feel all right at the moment: "
        "help works best early, and I want you to get it.",
    ),
    SELF_HARM: (
        "Thank you for trusting me with this. Hurting yourself is often a way of coping with pain that feels too big, "
        "and you deserve support with that pain, not judgement.",
        "I'm really glad you told me. Hurting yourself usually means something is hurting a lot inside, and you "
        "don't have to deal with that on your own.",
    ),
    FOLLOW_UP: (
        "What you told me earlier still matters to me, and I don't want it to slip past: how are you feeling "
        "now, really? If thoughts of ending your life or hurting yourself come back, you don't have to face them "
        "alone.",
        "Before we leave it there: what you shared earlier was serious, and I still care how you are. Are you "
        "safe right now? If those thoughts come back, please reach out rather than carry them by yourself.",
    ),
    CHECK: (
        "I may be reading too much into it, but I'd rather ask than guess: is anything weighing on you more "
        "heavily than that? If things ever feel so heavy that you think about ending your life, you don't have to "
        "face that alone.",
        "I might be wrong to wonder, but I'd rather ask: is everything okay with you underneath this? If you ever "
        "have thoughts of ending your life, please don't keep them to yourself.",
    ),
}
_PRESENCE = {
    THIRD_PARTY_ATTEMPT: "While help comes: stay with them or keep them on the phone, don't let them sleep it off "
    "alone, and tell the emergency service what they took or did, and when; keep any packets to show them. If "
    "they won't let you call, call anyway: their safety comes first.",
    ATTEMPT: "If you can, unlock your door, put your phone on speaker and stay where someone can reach you; tell them "
    "what you took or did, and when, and keep any packet to show them.",
    SELF_HARM: "Are you hurt right now? If a wound is deep or won't stop bleeding, get medical help now. When the urge "
    "comes, it can help to put it off for ten minutes, move away from anything you could use, and reach out to "
    "someone.",
    SELF: "Are you safe right now? If you can, put some distance between yourself and anything you could use "
    "to hurt yourself, and let one person near you know what is going on.",
    INDIRECT: "If the answer is yes, you haven't done anything wrong by feeling this way, and you don't have to "
    "face it by yourself tonight.",
    METHOD: "It sounds like you may be in a lot of pain right now. Are you safe at the moment? If you can, move "
    "away from anything you could use to harm yourself and let someone near you know.",
    THIRD_PARTY: "What helps most: ask them directly whether they are thinking about suicide (asking does not put "
    "the idea in their head); listen without judging or arguing; stay with them or keep in contact; help move "
    "anything they could use to hurt themselves out of reach; and help them contact a crisis line or a doctor. "
    "You don't have to promise to keep it secret.",
}
_INVITATIONS = (
    "I'm here and I'd like to keep talking. What has been happening for you today?",
    "I'm not going anywhere. If you want to, tell me more about what has brought you to this point.",
    "You can keep talking to me for as long as you need. What feels heaviest right now?",
)
_ATTEMPT_INVITATIONS = ("I'm here with you while you call. Are you able to call now?",)
_HELPER_ATTEMPT_INVITATION = "I'm here while you make the call. Are you with them now, or can someone get to them?"
# A bare "yes", "no" or "idk" after a crisis answer: which of its questions it answers is not known, so the one that
# matters most is asked again.
_REPLY_OPENINGS = (
    "Thank you for answering me. I want to be sure I understand you: are you safe right now? If you are in danger "
    "or thinking about ending your life, please reach out now, you don't have to wait until it gets worse.",
    "Thank you for telling me. Can I check one thing, so I don't get it wrong: are you safe at the moment? If you "
    "feel you might act on thoughts of ending your life, please contact someone right away.",
)
_HELPER_REPLY = (
    "Thank you for answering. If you think they may be in danger now, please don't wait: call the emergency number "
    "or a crisis line with them or for them, and stay with them or keep them on the phone if you can."
)
_FOLLOW_UP_INVITATIONS = (
    "You can come back and talk to me any time, day or night, even just to say how today went.",
    "I'm here whenever you want to pick this up again, and nothing you tell me is too much.",
)
# After someone else's crisis: the helper is asked about the person they worry about, and about themselves.
_HELPER_FOLLOW_UP = (
    "Before you go: I hope the person you're worried about gets support, and that you do too. If you fear for "
    "their safety again, don't wait: contact a crisis line or the emergency number with them or for them."
)
_CHECK_INVITATIONS = (
    "Either way, I'm here if you'd like to talk about it.",
    "Whatever the answer, you can tell me more whenever you like.",
)
_HELPER_INVITATIONS = (
    "Look after yourself too: this is heavy, and it's okay to ask for support of your own. "
    "If you like, tell me what they said and we can think through what to say next.",
    "Your own feelings matter here as well. Would it help to plan together what you'll say to them?",
)


# An indirect crisis in the person's own words, said back before the question: acknowledging what was said.
_REFLECTED_INDIRECT = (
    "When you say {said}, I want to gently check what I'm hearing: are you thinking about ending your life? "
    "I'm asking because I care, and you can answer honestly here."
)


def compose(
    kind: str,
    request: persona_pb2.PersonaRequest,
    resources: Resources,
    used: set[str],
    said_back: str = "",
    acknowledgement: str = "",
) -> list[str]:
    """The crisis answer as paragraphs; `used` holds the sentences already said in this session. `said_back` is
    what the person said, in the second person (services/abbey/language.py): an indirect crisis named in words
    ("they'll be better off without me") is said back before the question. A message flagged by Abi with no
    such words is not: its words may be anything ("Pleasant way to end a Tuesday."). A weak flag (`CHECK`)
    opens with `acknowledgement`, a calm sentence about what was said, before the gentle question. A `FOLLOW_UP` is
    `compose_follow_up`'s."""
    pick = zlib.crc32(request.content.encode("utf-8"))
    opening = unsaid(_OPENINGS[kind], pick, used)
    if kind == INDIRECT and said_back and kind_of(request.content) == INDIRECT:
        opening = _REFLECTED_INDIRECT.format(said=said_back)
    if kind == CHECK:
        return [
            *([acknowledgement] if acknowledgement else []),
            opening,
            resources.sentence(third_party=False),
            unsaid(_CHECK_INVITATIONS, pick, used),
        ]
    if kind == ATTEMPT:  # the number before anything else but the one sentence that says why
        return [opening, resources.sentence(third_party=False), _PRESENCE[kind], _ATTEMPT_INVITATIONS[0]]
    if kind == THIRD_PARTY_ATTEMPT:
        return [opening, _PRESENCE[kind], resources.sentence(third_party=True), _HELPER_ATTEMPT_INVITATION]
    invitations = _HELPER_INVITATIONS if kind == THIRD_PARTY else _INVITATIONS
    return [
        opening,
        _PRESENCE[kind],
        resources.sentence(third_party=kind == THIRD_PARTY),
        unsaid(invitations, pick, used),
    ]


def compose_follow_up(
    sort: str,
    earlier: str,
    request: persona_pb2.PersonaRequest,
    resources: Resources,
    used: set[str],
    small_talk: str = "",
    gratitude: bool = False,
) -> list[str]:
    """The answer to a message of `sort` (`follow_up_of`) soon after a crisis of kind `earlier`: a bare reply is
    thanked and the safety question asked again; anything else is answered in kind in one calm sentence, then the
    concern is kept open (for the person helping when someone else was at risk); the resources again, and the
    way back."""
    pick = zlib.crc32(request.content.encode("utf-8"))
    helping = earlier in HELPING
    resources_line = resources.sentence(third_party=helping)
    if sort == REPLY:
        opening = _HELPER_REPLY if helping else unsaid(_REPLY_OPENINGS, pick, used)
        return [opening, resources_line, unsaid(_HELPER_INVITATIONS if helping else _INVITATIONS, pick, used)]
    first = _in_kind(request.content, small_talk, gratitude)
    return [
        *([first] if first else []),
        _HELPER_FOLLOW_UP if helping else unsaid(_OPENINGS[FOLLOW_UP], pick, used),
        resources_line,
        unsaid(_HELPER_INVITATIONS if helping else _FOLLOW_UP_INVITATIONS, pick, used),
    ]


def _in_kind(text: str, small_talk: str, gratitude: bool) -> str:
    """A follow-up's first sentence: the thanks, the goodbye or the "never mind" answered calmly."""
    if gratitude:
        return "You're welcome, and thank you for talking with me."
    if small_talk == "farewell":
        return "Thank you for talking with me."
    if _WAVED_AWAY.search(text):
        return "That's okay, we don't have to go into it if you'd rather not."
    return ""


CRISIS_RULES = (
    "CRISIS RULES (they override everything else): the user or someone they speak of may be at risk of suicide or "
    "self-harm. Acknowledge what they said, in plain, calm words. No cheerful, excited or curious framing, no "
    "exclamation marks, no lecture, no judgement. Ask about safety directly. Never give information about methods, "
    "means or doses. Include these resources verbatim: {resources} Invite them to keep talking."
)
CHECK_RULES = (
    "CHECK RULES (they override everything else): a moderation signal, a weak one, says the user may be at risk of "
    "suicide or self-harm, though their words name no risk. Answer what they said in plain, calm words: no "
    "cheerful, excited or curious framing, no exclamation marks, no lecture. Then ask gently whether anything is "
    "weighing on them more heavily, and include these resources verbatim: {resources} Invite them to keep talking."
)
FOLLOW_UP_RULES = (
    "FOLLOW-UP RULES (they override everything else): earlier in this conversation the user, or someone they spoke "
    "of, was at risk of suicide or self-harm; this message answers in a word, waves it away or says goodbye. Answer "
    "it briefly and calmly, with no cheerful framing and no exclamation marks, but do not drop the concern: ask "
    "whether they are safe now, include these resources verbatim: {resources} and tell them they can come back "
    "any time."
)
HELPER_RULES = (
    "The person at risk is someone the user knows: give the user concrete guidance for helping (ask directly, "
    "listen, stay with them, remove means, connect them with a crisis line) and care for the user too."
)


def say_crisis_rules(prompt: SystemPrompt, kind: str, resources: Resources, paragraphs: list[str]) -> None:
    """The crisis part of a persona's prompt for a model backend: the rules for this kind (gentler for a weak
    flag), the helper's rules for a third party, and the composed answer to follow closely."""
    third = kind in HELPING
    rules = {CHECK: CHECK_RULES, FOLLOW_UP: FOLLOW_UP_RULES}.get(kind, CRISIS_RULES)
    prompt.say(rules.format(resources=resources.sentence(third_party=third)), f"Crisis kind: {kind}.")
    if third:
        prompt.say(HELPER_RULES)
    prompt.say("A safe answer to follow closely:")
    prompt.quote(*(f"> {paragraph}" for paragraph in paragraphs))
