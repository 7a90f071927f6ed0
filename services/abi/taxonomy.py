"""Label sets shared by training and serving: GoEmotions, Ekman groups, the original ten, route classes."""

from __future__ import annotations

from services.common.emotions import DERIVED, EKMAN, GO_EMOTIONS
from services.common.registry import persona_registry

__all__ = ["ANSWERING", "DERIVED", "EKMAN", "EMOTIONS", "HARM_CATEGORIES", "HARM_CLASSES", "QUERY_TYPES"]

# The emotion labels and how they group live in services/common/emotions.py, shared with the personas.
EMOTIONS: tuple[str, ...] = GO_EMOTIONS

# The classes of the model's persona head: the registry's answering personas when it is trained
# (the shipped model's card lists the ones it knows; routing gives any other a capability prior).
ANSWERING: tuple[str, ...] = persona_registry().answering

# What Abi blocks: a request for a harmful capability, or abuse aimed at others. "none" is the
# model's class for everything else. Each category has an action and severity in the rules document.
HARM_CATEGORIES: tuple[str, ...] = (
    "hate", "harassment", "privacy", "violent_threat", "violence", "weapons", "cbrn", "cyber", "fraud", "drugs",
    "sexual_minors", "sexual", "misinformation", "prompt_injection", "other_harm",
)  # fmt: skip
HARM_CLASSES: tuple[str, ...] = ("none", *HARM_CATEGORIES)

QUERY_TYPES: tuple[str, ...] = (
    "code_request", "factual_query", "explanation", "debugging", "documentation", "comparison", "optimization",
    "general",
)  # fmt: skip
