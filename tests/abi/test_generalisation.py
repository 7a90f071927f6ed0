"""The held-out part of our own fixtures (never trained on): categories the public data lacks.

Runs the shipped heads and rules in process on vectors from the shared encoder
(the index's model), so it measures the router, not the transport.
"""

from __future__ import annotations

from collections import Counter

import pytest

from services.abi.heads import load_heads
from services.abi.router import Evidence, PersonaRouter, RouteInput
from services.abi.rules.store import DEFAULT_RULES_PATH, RuleStore
from services.abi.training.fixtures import is_held_out, query_type_fixtures, routing_fixtures
from services.common.encoder import SentenceEncoder


@pytest.fixture(scope="module")
def routed() -> list[tuple[str, str, str, str, str]]:
    router = PersonaRouter(load_heads())
    rules = RuleStore(DEFAULT_RULES_PATH, router.base_policy, persist=False).active
    examples = routing_fixtures(held_out=True)
    vectors = SentenceEncoder().encode([e.text for e in examples]).vectors
    out = []
    for example, vector in zip(examples, vectors, strict=True):
        d = router.decide(RouteInput(example.text), Evidence(vector), rules)
        out.append((example.group, example.label, d.persona, example.category, d.moderation.action))
    return out


def test_held_out_fixtures_are_disjoint_from_training() -> None:
    held = routing_fixtures(held_out=True)
    trained = routing_fixtures(held_out=False)
    assert held and trained
    assert not {e.text for e in held} & {e.text for e in trained}
    assert all(is_held_out(e.text) for e in held)


def test_held_out_routing_accuracy(routed: list[tuple[str, str, str, str, str]]) -> None:
    correct = sum(label == persona for _, label, persona, _, _ in routed)
    assert correct / len(routed) >= 0.9, Counter((g, p) for g, label, p, _, _ in routed if label != p)


def test_held_out_harm_is_blocked_and_benign_is_not(routed: list[tuple[str, str, str, str, str]]) -> None:
    harm = [r for r in routed if r[1] == "abi"]
    benign = [r for r in routed if r[1] != "abi"]
    assert harm and benign
    assert sum(r[2] == "abi" for r in harm) / len(harm) >= 0.9
    assert sum(r[2] == "abi" for r in benign) <= 1


def test_held_out_self_harm_goes_to_support(routed: list[tuple[str, str, str, str, str]]) -> None:
    self_harm = [r for r in routed if r[3] == "self_harm"]
    assert self_harm
    assert all(r[2] == "abbey" and r[4] == "redirect_to_support" for r in self_harm)


def test_query_types_on_held_out_fixtures() -> None:
    router = PersonaRouter(load_heads())
    examples = query_type_fixtures(held_out=True)
    encoder = SentenceEncoder()
    from services.abi.features import lexical_features, vader_scores

    vectors = encoder.encode([e.text for e in examples]).vectors
    predicted = [
        router.query_type(v, lexical_features(e.text, vader_scores(e.text)), e.text)
        for e, v in zip(examples, vectors, strict=True)
    ]
    correct = sum(p == e.label for p, e in zip(predicted, examples, strict=True))
    assert correct / len(examples) >= 0.7, list(zip([e.label for e in examples], predicted, strict=True))
