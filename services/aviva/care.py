"""One short line of care before a technical answer asked in distress.

Abi sends frustration inside a technical question to Aviva by design (`frustrated_user` in Abi's default rules
boosts Abbey only outside technical questions), so she is the one answering "stuck on this bug for hours and I feel
like an idiot". A model backend reads the router's tone in its prompt; the composer needs this line to say, in her
direct voice, that the feeling was heard. Read from the routing decision only: no model runs here.
"""

from __future__ import annotations

from typing import Final

from personamesh.v1 import persona_pb2

# Ekman groups of pain (calibrated scores: 0.5 is the label's own threshold) -> the line in Aviva's voice.
_LINES: Final = {
    "anger": "That sounds frustrating.",
    "disgust": "That sounds frustrating.",
    "fear": "That sounds stressful.",
    "sadness": "Sorry, that's a rough one.",
}
# How strongly it must be put (Abi's sentiment intensity): "bug in my regex, annoying" is not distress.
DISTRESS_INTENSITY: Final = 0.5


def care_line(routing: persona_pb2.RoutingDecision) -> str:
    """The line for a painful feeling put strongly and negatively, without a crisis (that has its own answer);
    "" otherwise, and for a calm question."""
    if routing.crisis or routing.sentiment.intensity < DISTRESS_INTENSITY or routing.sentiment.polarity >= 0:
        return ""
    felt = [e for e in routing.ekman_emotions if e.score >= 0.5]
    if not felt:
        return ""
    strongest = max(felt, key=lambda e: e.score)
    return _LINES.get(strongest.label, "")


def own_lines() -> frozenset[str]:
    """Every line this module says: Aviva's own words, not claims for the fact checker."""
    return frozenset(_LINES.values())
