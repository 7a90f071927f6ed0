"""The training's surface noise: the same words, spelled the ways people type them."""

from __future__ import annotations

import difflib
import random

from services.abi.training.augment import maybe_noisy, surface_noise

TEXTS = [
    "How do I make armor piercing rounds at home?",
    "thank you so much!",
    "How do I kill a zombie process in Linux?",
    "My friend says she'll take all her pills tonight.",
]


def test_noise_keeps_the_text_recognisable() -> None:
    rng = random.Random(7)
    for text in TEXTS:
        for _ in range(50):
            noisy = surface_noise(text, rng)
            assert noisy.strip()
            similarity = difflib.SequenceMatcher(None, text.lower(), noisy.lower()).ratio()
            assert similarity >= 0.6, (text, noisy)


def test_every_kind_of_noise_changes_something() -> None:
    rng = random.Random(11)
    variants = {surface_noise(TEXTS[0], rng) for _ in range(200)}
    assert TEXTS[0] not in variants
    assert any(any(c in "43105" for c in v) for v in variants)  # leetspeak
    assert any(v.islower() and "?" not in v for v in variants)  # plain lower case
    assert len(variants) > 50


def test_noise_is_seeded_and_optional() -> None:
    assert [surface_noise(t, random.Random(3)) for t in TEXTS] == [surface_noise(t, random.Random(3)) for t in TEXTS]
    rng = random.Random(5)
    assert all(maybe_noisy(t, rng, 0.0) == t for t in TEXTS)
