"""Empathy: an acknowledgement matched to the emotion and how strongly it is felt, and support when needed.

Templates are chosen deterministically (a hash of the message), so the same
message always gets the same words, and different messages do not all sound
alike. `empathy` (0..1) decides whether a mild feeling is named at all.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import yaml

from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReading

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
    if intensity >= 0.4:
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
