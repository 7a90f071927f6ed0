"""Empathy: an acknowledgement matched to the emotion and how strongly it is felt, and support when needed.

Templates are chosen deterministically (a hash of the message), so the same
message always gets the same words, and different messages do not all sound
alike. `empathy` (0..1) decides whether a mild feeling is named at all.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from personamesh.v1 import persona_pb2
from services.abbey.emotion import CLEAR, NEGATIVE, EmotionReading
from services.abbey.feeling_words import NamedFeeling, named_feelings, strongest
from services.abbey.language import Specifics, tells_relief, unread_news
from services.common.emotions import to_persona_emotion

# emotion -> (mild, clear, strong) acknowledgement variants.
_TIERS = ("mild", "clear", "strong")
_ACKNOWLEDGEMENTS: dict[str, dict[str, list[str]]] = yaml.safe_load(
    (Path(__file__).parent / "acknowledgements.yaml").read_text(encoding="utf-8")
)

# Said when moderation asks for support (self-harm). Crisis lines that work internationally.
SUPPORT_RESOURCES = (
    "Your safety matters most right now. If you are thinking about hurting yourself or feel you might act on it, "
    "please reach out for immediate help: call your local emergency number, or a crisis line. In the US you can "
    "call or text 988 (Suicide & Crisis Lifeline); in the UK and Ireland, Samaritans are at 116 123; elsewhere, "
    "findahelpline.com lists free, confidential lines in your country. If you can, tell someone you trust "
    "how you're feeling today."
)

# A crisis opening never depends on the emotion guess: "how wonderful" must never greet a disclosure.
CRISIS_ACKNOWLEDGEMENTS = (
    "Thank you for telling me. What you're carrying sounds really heavy, and you don't have to carry it alone.",
    "I'm really glad you reached out. I'm here with you, and what you're feeling matters.",
    "I hear how much pain is in what you wrote. I'm taking it seriously, and I'm here to listen.",
)
CRISIS_GUIDANCE = (
    "You don't have to work out everything tonight. If you can, stay somewhere safe, away from anything you "
    "could use to hurt yourself, and let one person know what is going on. If you'd like, tell me more about "
    "what has been happening; I'm listening."
)

_TONE_BY_EMOTION: dict[str, persona_pb2.Tone.ValueType] = {
    "sad": persona_pb2.TONE_SUPPORTIVE,
    "anxious": persona_pb2.TONE_SUPPORTIVE,
    "stressed": persona_pb2.TONE_SUPPORTIVE,
    "disappointed": persona_pb2.TONE_SUPPORTIVE,
    "frustrated": persona_pb2.TONE_WARM,
    "confused": persona_pb2.TONE_WARM,
    "excited": persona_pb2.TONE_WARM,
    "happy": persona_pb2.TONE_WARM,
    "curious": persona_pb2.TONE_WARM,
    "neutral": persona_pb2.TONE_NEUTRAL,
}


def needs_support(request: persona_pb2.PersonaRequest) -> bool:
    """Abi flagged a crisis (the user or someone they speak of may be at risk): support comes first."""
    if not request.HasField("routing"):
        return False
    routing = request.routing
    return routing.crisis or routing.moderation.action == persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT


def suggest_tone(request: persona_pb2.PersonaRequest, reading: EmotionReading) -> persona_pb2.Tone.ValueType:
    """Abi's tone hint wins; otherwise the tone that suits the emotion."""
    if needs_support(request):
        return persona_pb2.TONE_SUPPORTIVE
    if request.HasField("routing") and request.routing.tone != persona_pb2.TONE_UNSPECIFIED:
        return request.routing.tone
    return _TONE_BY_EMOTION.get(reading.primary, persona_pb2.TONE_WARM)


def intensity_tier(intensity: float) -> int:
    """0 mild, 1 clear, 2 strong."""
    if intensity >= 0.7:
        return 2
    if intensity >= CLEAR:
        return 1
    return 0


_LISTENING = (
    "Thank you for telling me about that.",
    "Thanks for sharing that with me.",
    "I appreciate you sharing this with me.",
)
_PERSONAL = re.compile(r"\b(i|i'm|i've|i'd|my|me|we|our|us)\b", re.I)


def is_personal_sharing(content: str) -> bool:
    """A first-person statement (not a question): someone telling Abbey about their life."""
    return bool(_PERSONAL.search(content)) and not content.rstrip().endswith("?")


def acknowledge(
    reading: EmotionReading, content: str, empathy: float, *, personal: bool = False, crisis: bool = False
) -> str:
    """The opening line matched to the emotion and its intensity (a crisis gets a crisis opening).

    A neutral message that shares something personal still gets a listener's acknowledgement;
    a neutral question gets none, and mild feelings are named only when empathy is high enough.
    """
    pick = zlib.crc32(content.encode("utf-8"))
    if crisis:
        return CRISIS_ACKNOWLEDGEMENTS[pick % len(CRISIS_ACKNOWLEDGEMENTS)]
    tiers = _ACKNOWLEDGEMENTS.get(reading.primary)
    if tiers is None:
        return _LISTENING[pick % len(_LISTENING)] if personal and empathy >= 0.5 else ""
    tier = intensity_tier(reading.intensity)
    if tier == 0 and reading.intensity < 0.4 * (1.0 - empathy) + 0.1:
        return ""
    variants = tiers[_TIERS[tier]]
    return variants[pick % len(variants)]


# -- specific empathy: moves chosen by emotion and intensity, filled with what the person said ----------------

_SLOT = re.compile(r"\{(\w+)\}")

# emotion -> intensity tier (mild, clear, strong) -> moves in order.
_PLANS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sad": (("acknowledge", "next_step"), ("acknowledge", "reflect", "next_step"),
            ("acknowledge", "validate", "normalise", "next_step")),
    "anxious": (("acknowledge", "next_step"), ("acknowledge", "normalise", "next_step"),
                ("acknowledge", "validate", "normalise", "next_step")),
    "stressed": (("acknowledge", "next_step"), ("acknowledge", "validate", "next_step"),
                 ("acknowledge", "validate", "normalise", "next_step")),
    "frustrated": (("acknowledge", "next_step"), ("acknowledge", "validate", "next_step"),
                   ("acknowledge", "validate", "reflect", "next_step")),
    "disappointed": (("acknowledge", "encourage"), ("acknowledge", "validate", "encourage"),
                     ("acknowledge", "validate", "encourage", "next_step")),
    "confused": (("reflect", "next_step"), ("acknowledge", "reflect", "next_step"),
                 ("acknowledge", "reflect", "next_step")),
    "happy": (("acknowledge",), ("acknowledge", "encourage"), ("acknowledge", "encourage")),
    "excited": (("acknowledge", "encourage"), ("acknowledge", "encourage"), ("acknowledge", "encourage")),
    "grateful": (("acknowledge",), ("acknowledge",), ("acknowledge",)),
    "neutral": (("acknowledge", "reflect"), ("acknowledge", "reflect"), ("acknowledge", "reflect")),
}  # fmt: skip
_FEELINGS = {
    "sad": ("sad", "sad", "so sad"),
    "anxious": ("uneasy", "anxious", "scared"),
    "stressed": ("stretched", "stretched thin", "overwhelmed"),
    "frustrated": ("annoyed", "frustrated", "angry"),
    "disappointed": ("let down", "disappointed", "crushed"),
    "confused": ("unsure", "confused", "lost"),
    "happy": ("pleased", "happy", "delighted"),
    "excited": ("excited", "excited", "thrilled"),
}
_ASKS_IF_NORMAL = re.compile(
    r"\b(?:is it|is this|is that|it's|its)\s+(?:normal|common|ok|okay|natural|weird|strange)\s+(?:to|that|for me to)\b"
    r"|\bam i (?:normal|weird|crazy|overreacting|the only one)\b|\bdoes (?:everyone|anyone else) (?:feel|get)\b",
    re.IGNORECASE,
)
# Thanks, alone or after a word of acknowledgement ("cool thanks", "ok thank you", "great, that helped").
_GRATITUDE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|cool|great|perfect|awesome|nice|brilliant|lovely|ah|oh|wow|amazing)\W+)?"
    r"(thanks|thank you|thx|ty|cheers|much appreciated|that helped|that really helped)\b",
    re.I,
)


_WORDS_ONLY = re.compile(r"^[a-z][a-z' -]*$", re.IGNORECASE)  # a feeling put in words, not an emoji
# A feeling named by what one does ("still miss", "normal to cry"): not said back after "feeling".
_AN_ACT = re.compile(r"\b(?:miss|missing|cry|crying|cried)\b", re.IGNORECASE)
# A vocabulary phrase that already says the feeling of the writer ("feeling down").
_FEEL = re.compile(r"^(?:feel|feeling|felt)\s+", re.IGNORECASE)
# A feeling said of oneself: "I'm (so) X", "I am X", "I feel X", "feeling (kind of) X", "I've been feeling X".
_SELF_STATE = (
    r"(?:\bi'?m|\bi am|\bim|\bi feel|\bfeeling|\bfelt)\s+(?:feeling\s+)?"
    r"(?:(?:so|really|very|a bit|a little|kind of|kinda|pretty|super|just|quite|bit|rather|totally|extremely)\s+)*"
    r"{phrase}\b"
)


def asks_if_normal(content: str) -> bool:
    """Whether the person asks if what they feel is normal ("is it normal to feel lonely after a move?")."""
    return bool(_ASKS_IF_NORMAL.search(content))


def is_gratitude(content: str) -> bool:
    return bool(_GRATITUDE.search(content)) and len(content.split()) <= 20


# A thank-you that says the help did not come: "thanks anyway", "thank you for trying", "thanks all the same".
_THANKS_WITHOUT_HELP = re.compile(
    r"\b(?:thanks|thank you|thx|ty|cheers)\b(?:\W+\w+){0,3}?\W+"
    r"(?:any ?ways?|though|all the same|regardless|for trying|for (?:the|your) (?:try|effort))\b",
    re.I,
)


def thanks_without_help(content: str) -> bool:
    """Whether a thank-you says the help did not come ("thanks anyway"): it is met with regret, not with pleasure
    at having helped."""
    return bool(_THANKS_WITHOUT_HELP.search(content))


@dataclass(frozen=True)
class EmpathyPlan:
    """The moves chosen for this answer and the sentences that carry them."""

    emotion: str
    tier: int
    moves: tuple[str, ...]
    sentences: tuple[str, ...]
    named: bool  # at least one sentence names what the person said


def plan_empathy(
    emotion: str,
    intensity: float,
    specifics: Specifics,
    content: str,
    said: set[str],
    *,
    brief: bool = False,
    heard: bool = False,
    remembering: bool = False,
    mourning: bool = False,
) -> EmpathyPlan:
    """Empathy moves for `emotion` at its intensity, each a sentence not yet said in this session. `heard`: a
    thank-you for kind words or for listening, not for help (what the person said before it asked for nothing);
    `remembering`: a memory told soon after telling of a death; `mourning`: a death told in the last messages."""
    tier = intensity_tier(intensity)
    if (specifics.bereaved or specifics.ill or specifics.health_scare or mourning) and emotion in NEGATIVE:
        # A death (told now or just before), an illness or a scare is never "a shame" or "a few nerves", however
        # calmly told.
        tier = max(tier, 1)
    moves = _PLANS.get(emotion, _PLANS["neutral"])[tier]
    if brief:
        moves = moves[:2]
    slots = _slots(emotion, tier, specifics)
    news = unread_news(content)
    if news:
        slots["news"] = news  # "got a letter from the council today": what it said is what will matter
    holds = frozenset(
        name
        for name, held in (
            ("achieved", specifics.achievement),
            ("worked_for", specifics.worked_for),
            ("ahead", specifics.upcoming),
            ("lost", specifics.loss),
            ("ill", specifics.ill),
            ("heard", heard),
            ("unhelped", emotion == "grateful" and thanks_without_help(content)),
            ("relief", emotion == "happy" and tells_relief(content)),
            ("remembering", remembering),
        )
        if held
    )
    own_word = strongest(named_feelings(content))
    if own_word is not None and own_word.phrase.lower() in slots.get("event", "").lower():
        holds = holds | {"feeling_said"}  # "you're feeling kind of lonely since ...": not "a shame"
    felt_alone = False
    if asks_if_normal(content) and emotion in NEGATIVE:
        # "Is it normal to feel lonely after moving?" asks for the normalising move: it is the answer, so it comes
        # first (a question gets no acknowledgement to come before it), saying back the feeling they named.
        moves = ("normalise", *(move for move in moves if move != "normalise"))
        holds = holds | {"asked_normal"}
        if own_word is not None and _WORDS_ONLY.match(own_word.phrase) and not _AN_ACT.search(own_word.phrase):
            slots["felt"] = own_word.phrase
    elif own_word is not None and (word := feeling_told_alone(content, own_word, emotion, slots)):
        # "I'm lonely": their word is all there is to say back, and once (not Abbey's own word for it as well).
        slots["felt"] = word
        slots.pop("feeling", None)
        felt_alone = True
        holds = holds | {"feeling_only"}
    pick = zlib.crc32(content.encode("utf-8"))
    sentences: list[str] = []
    named = False
    for move in moves:
        table = "acknowledge_feeling" if move == "acknowledge" and felt_alone else move
        sentence, uses_specifics = _sentence(table, emotion, tier, slots, holds, pick, said, sentences)
        if sentence:
            sentences.append(sentence)
            named = named or uses_specifics
            if uses_specifics:
                # What the person said is said back once: the slots whose words this sentence used go
                # (an event also under "Event" and "achievement"); names may come up again.
                said_now = sentence.lower()
                used = {v for k, v in slots.items() if k in _SAID_ONCE and v.lower() in said_now}
                slots = {k: v for k, v in slots.items() if not (k in _SAID_ONCE and v in used)}
                if "event" not in slots:
                    slots.pop("Event", None)
    if not named and specifics.event and emotion != "grateful":
        slots = _slots(emotion, tier, specifics)
        sentence, uses_specifics = _sentence("reflect", emotion, tier, slots, holds, pick, said, sentences)
        if sentence:
            sentences.insert(1 if sentences else 0, sentence)
            named = uses_specifics
    return EmpathyPlan(emotion, tier, moves, tuple(sentences), named)


def feeling_told_alone(content: str, named: NamedFeeling, emotion: str, slots: dict[str, str]) -> str:
    """The person's word for a feeling they tell of themselves ("I'm lonely", "im so bored", "feeling kind of
    lonely", "feeling down" -> "down") when nothing else is there to name (no event, topic, person or pet in `slots`)
    and the word folds into the emotion Abbey answers; "" otherwise. The acknowledgement then says it back ("I'm
    sorry you're feeling lonely.")."""
    if slots.keys() & _SPECIFIC_SLOTS or not _WORDS_ONLY.match(named.phrase):
        return ""
    if to_persona_emotion(named.label) != emotion:
        return ""  # never "glad you're feeling lonely" when another feeling is answered
    word = _FEEL.sub("", named.phrase)
    if word != named.phrase:  # a vocabulary phrase that says it of the writer already ("feeling down")
        pattern = rf"(?:^\W*|\bi'?m\s+|\bi am\s+|\bim\s+|\bi\s+|\bbeen\s+|\bjust\s+){re.escape(named.phrase)}\b"
    else:
        pattern = _SELF_STATE.format(phrase=re.escape(named.phrase))
    return word if re.search(pattern, content, re.IGNORECASE) else ""


def _slots(emotion: str, tier: int, specifics: Specifics) -> dict[str, str]:
    slots: dict[str, str] = {}
    if specifics.event:
        slots["event"] = specifics.event
        slots["Event"] = specifics.event[:1].upper() + specifics.event[1:]
    if specifics.topic:
        slots["topic"] = specifics.topic
    if specifics.felt_about:
        slots["about"] = specifics.felt_about
    if specifics.feared:
        slots["feared"] = specifics.feared
    if specifics.achievement:
        slots["achievement"] = specifics.event
    if specifics.people:
        slots["person"] = specifics.people[0]
    if specifics.pets:
        kind, name = specifics.pets[0]
        slots["pet"] = f"your {kind}"
        if name:
            slots["pet_name"] = name
    if emotion in _FEELINGS:
        # A loss breaks a heart; an illness or loneliness is not called that.
        strong_loss = emotion == "sad" and tier == 2 and specifics.loss
        slots["feeling"] = "heartbroken" if strong_loss else _FEELINGS[emotion][tier]
    return slots


# What a template may ask of the message without saying it (moves.yaml "when"): an achievement, something ahead,
# something worked for, a loss, an illness going on, a question whether the feeling is normal, a thank-you for
# being heard, a thank-you for trying, relief after a scare, a memory of someone who died, a feeling told alone, a
# feeling named inside what is said back.
_CONDITIONS = frozenset(
    {
        "achieved",
        "worked_for",
        "ahead",
        "lost",
        "ill",
        "asked_normal",
        "heard",
        "unhelped",
        "relief",
        "remembering",
        "feeling_only",
        "feeling_said",
    }
)
_SAID_ONCE = frozenset({"event", "Event", "topic", "about", "achievement", "feared", "news"})
_SPECIFIC_SLOTS = _SAID_ONCE | {"person", "pet", "pet_name", "felt"}
# How specific a template is, by what it names or requires: the most specific that fits is said first.
_WEIGHTS = {
    "felt": 6,
    "asked_normal": 5,
    "achievement": 4,
    **dict.fromkeys(
        (
            "event",
            "Event",
            "pet_name",
            "achieved",
            "worked_for",
            "ahead",
            "lost",
            "feared",
            "news",
            "relief",
            "remembering",
        ),
        3,
    ),
    **dict.fromkeys(("person", "pet", "about"), 2),
    "topic": 1,
}


@dataclass(frozen=True)
class _Template:
    """One sentence of moves.yaml: its text, the slots it says, what must hold of the message ("when") and what
    must not ("unless": no "what you'd want to say to your grandmother" when she has died)."""

    text: str
    needed: frozenset[str]
    when: frozenset[str] = frozenset()
    unless: frozenset[str] = frozenset()

    @staticmethod
    def of(entry: str | dict[str, object]) -> _Template:
        if isinstance(entry, str):
            return _Template(entry, frozenset(_SLOT.findall(entry)))
        text = str(entry["say"])
        when, unless = (_conditions(text, entry.get(key, [])) for key in ("when", "unless"))
        return _Template(text, frozenset(_SLOT.findall(text)), when, unless)

    def fits(self, slots: dict[str, str], holds: frozenset[str]) -> bool:
        return self.needed <= slots.keys() and self.when <= holds and not self.unless & holds


def _conditions(text: str, value: object) -> frozenset[str]:
    """A template's "when" or "unless": one condition or a list, each one moves.yaml may name."""
    conditions = frozenset(
        [value] if isinstance(value, str) else [str(c) for c in value] if isinstance(value, list) else []
    )
    unknown = conditions - _CONDITIONS
    if unknown:
        known = ", ".join(sorted(_CONDITIONS))
        raise ValueError(f"moves.yaml: {text!r}: unknown condition(s) {sorted(unknown)}; known: {known}")
    return conditions


def _load_moves(path: Path) -> dict[str, dict[str, list[_Template]]]:
    """moves.yaml, checked when the service starts: move -> emotion (or "emotion.mild", "any") -> templates."""
    document: dict[str, dict[str, list[str | dict[str, object]]]] = yaml.safe_load(path.read_text("utf-8"))
    return {
        move: {key: [_Template.of(entry) for entry in entries] for key, entries in table.items()}
        for move, table in document.items()
    }


_MOVES: Final = _load_moves(Path(__file__).with_name("moves.yaml"))


def _templates(move: str, emotion: str, tier: int) -> list[_Template]:
    """A move's templates for an emotion at its intensity: a mild feeling has its own lighter words when
    moves.yaml gives them ("sad.mild": a broken mug is a shame, not a loss to carry), then any emotion's."""
    table = _MOVES.get(move, {})
    own = table.get(f"{emotion}.{_TIERS[tier]}") or table.get(emotion, [])
    return [*own, *table.get("any", [])]


def _specificity(template: _Template, slots: dict[str, str], holds: frozenset[str]) -> int:
    """How much of what the person said a template names or fits (-1 when it needs what we do not have)."""
    if not template.fits(slots, holds):
        return -1
    return max((_WEIGHTS.get(slot, 0) for slot in template.needed | template.when), default=0)


def _sentence(
    move: str,
    emotion: str,
    tier: int,
    slots: dict[str, str],
    holds: frozenset[str],
    pick: int,
    said: set[str],
    taken: list[str],
) -> tuple[str, bool]:
    """The first template of `move` (rotated by `pick`) that fits and whose sentence is new."""
    templates = _templates(move, emotion, tier)
    if not templates:
        return "", False
    # Templates that name something the person said come first; one whose opening words were already said in this
    # session ("A few nerves make sense: ...") comes after those that fit as well, so the wording moves on.
    ranked = sorted(
        range(len(templates)),
        key=lambda i: (
            -_specificity(templates[i], slots, holds),
            _opening_said(templates[i].text, said),
            (i - pick) % len(templates),
        ),
    )
    for index in ranked:
        template = templates[index]
        if not template.fits(slots, holds):
            continue
        sentence = template.text.format(**slots)
        if sentence in said or sentence in taken:
            continue
        return sentence, bool(template.needed & _SPECIFIC_SLOTS)
    return "", False


def _opening_said(text: str, said: set[str]) -> bool:
    """Whether a sentence of this session already opened with the template's words before its first slot (at least
    three words of them: a bare "That" or "It sounds" is no repetition)."""
    opening = text.split("{", 1)[0]
    if len(opening.split()) < 3:
        return False
    return any(sentence.startswith(opening) for sentence in said)


STRONG_FEELING = 0.3  # from this intensity a negative feeling gets a supportive tone


def tone_for(
    emotion: str, intensity: float, *, crisis: bool, question: bool, named: bool = False
) -> persona_pb2.Tone.ValueType:
    """Tone from the state and its intensity; a neutral question gets a neutral tone, no forced sympathy. A
    question that names a mild feeling ("a bit nervous about my driving test, any tips?") gets warmth."""
    if crisis:
        return persona_pb2.TONE_SUPPORTIVE
    if emotion == "neutral" or (question and intensity < 0.3 and not named):
        return persona_pb2.TONE_NEUTRAL
    if emotion in NEGATIVE:
        # A strong negative feeling needs support; a mild one ("a bit annoyed") warmth, not heavy sympathy.
        return persona_pb2.TONE_SUPPORTIVE if intensity >= STRONG_FEELING else persona_pb2.TONE_WARM
    return persona_pb2.TONE_WARM
