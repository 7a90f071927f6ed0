"""Label sets shared by training and serving: GoEmotions, Ekman groups, the original ten, route classes."""

from __future__ import annotations

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

PERSONAS: tuple[str, ...] = ("abbey", "aviva", "abi")

# Classes of the route head: the two answering personas, the policy categories that make Abi
# answer (block), and self-harm, which goes to abbey with support resources and is never blocked.
POLICY_CLASSES: tuple[str, ...] = ("hate", "violent_threat", "dangerous", "prompt_injection")
ROUTE_CLASSES: tuple[str, ...] = ("abbey", "aviva", *POLICY_CLASSES, "self_harm")

QUERY_TYPES: tuple[str, ...] = (
    "code_request", "factual_query", "explanation", "debugging", "documentation", "comparison", "optimization",
    "general",
)  # fmt: skip

_INJECTION_SOURCES = ("tensortrust:", "selfreminder:", "giskard-promptinject:")


def route_class_of(label: str, row_id: str, category: str) -> str:
    """The route-head class of a labelled row: its policy category when it has one, else its persona."""
    if category:
        return category
    if row_id.startswith("simplesafetytests:"):
        return "self_harm"
    if row_id.startswith("hatecheck:threat_"):
        return "violent_threat"
    if row_id.startswith("hatecheck:"):
        return "hate"
    if row_id.startswith(_INJECTION_SOURCES):
        return "prompt_injection"
    return label


def persona_of_class(route_class: str) -> str:
    if route_class in POLICY_CLASSES:
        return "abi"
    if route_class == "self_harm":
        return "abbey"
    return route_class
