"""Label sets shared by training and serving: GoEmotions, Ekman groups, the original ten, route classes."""

from __future__ import annotations

from services.common.emotions import DERIVED, EKMAN, GO_EMOTIONS

__all__ = ["ANSWERING", "DERIVED", "EKMAN", "EMOTIONS", "HARM_CATEGORIES", "HARM_CLASSES", "PERSONAS", "QUERY_TYPES"]

# The emotion labels and how they group live in services/common/emotions.py, shared with the personas.
EMOTIONS: tuple[str, ...] = GO_EMOTIONS

PERSONAS: tuple[str, ...] = ("abbey", "aviva", "abi")
# The personas the model's persona head chooses between (the built-in answering personas).
ANSWERING: tuple[str, ...] = ("abbey", "aviva")

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
