"""Label sets shared by training and serving: GoEmotions, Ekman groups, the original ten, route classes."""

from __future__ import annotations

from services.common.registry import persona_registry

# GoEmotions labels in the order of the dataset's emotions.txt (index 27 = neutral).
EMOTIONS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
    "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
    "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
    "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip

# The dataset authors' Ekman mapping (google-research goemotions/data/ekman_mapping.json).
EKMAN: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
            "admiration", "desire", "caring"),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}  # fmt: skip

# The original implementation's ten emotions, each the strongest of its GoEmotions members.
DERIVED: dict[str, tuple[str, ...]] = {
    "neutral": ("neutral",),
    "happy": ("joy", "amusement", "gratitude", "love", "admiration", "approval", "optimism", "relief", "pride"),
    "sad": ("sadness", "grief", "remorse"),
    "frustrated": ("anger", "annoyance", "disapproval", "disgust"),
    "confused": ("confusion",),
    "excited": ("excitement", "desire", "surprise"),
    "anxious": ("fear", "nervousness"),
    "stressed": ("nervousness", "embarrassment", "annoyance"),
    "curious": ("curiosity", "realization"),
    "disappointed": ("disappointment",),
}

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
