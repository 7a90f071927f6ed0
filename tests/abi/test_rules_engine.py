"""Rule semantics in process: priority, override, suppress, block, tie-break, shadowing, validation errors."""

from __future__ import annotations

import textwrap

import pytest

from services.abi.policy import PolicyConfig
from services.abi.rules.engine import RuleContext
from services.abi.rules.schema import validate_document
from services.abi.rules.store import RulesInvalidError, build_rule_set
from services.abi.sentiment import SentimentResult


def rules(body: str) -> str:
    return "version: 1\nrules:\n" + textwrap.indent(textwrap.dedent(body), "  ")


def context(text: str, **kwargs: object) -> RuleContext:
    sentiment = kwargs.pop("sentiment", SentimentResult(0.0, 0.0, 0.0, "neutral", {"sadness": 0.0}))
    return RuleContext(
        text=text,
        sentiment=sentiment,  # type: ignore[arg-type]
        query_type=str(kwargs.pop("query_type", "general")),
        user_role=str(kwargs.pop("user_role", "user")),
        metadata=dict(kwargs.pop("metadata", {})),  # type: ignore[call-overload]
        requested_persona=str(kwargs.pop("requested_persona", "none")),
    )


def evaluate(doc: str, ctx: RuleContext):
    return build_rule_set(doc, PolicyConfig.default()).engine.evaluate(ctx)


def test_higher_priority_boost_wins_instead_of_summing() -> None:
    doc = rules("""
        - {name: low, priority: 1, when: {keywords: [python]}, then: {boost: {aviva: 0.5}}}
        - {name: high, priority: 9, when: {keywords: [python]}, then: {boost: {aviva: 0.1}}}
    """)
    outcome = evaluate(doc, context("python question"))
    assert outcome.adjustments == {"aviva": 0.1}
    assert outcome.adjusted_by == {"aviva": "high"}
    assert outcome.matched == ["high", "low"]
    assert any("shadowed" in note for note in outcome.notes)


def test_override_beats_boost_even_from_lower_priority() -> None:
    doc = rules("""
        - {name: boost_abbey, priority: 90, when: {keywords: [help]}, then: {boost: {abbey: 0.9}}}
        - {name: force_aviva, priority: 10, when: {keywords: [help]}, then: {force: aviva}}
    """)
    outcome = evaluate(doc, context("help me"))
    assert outcome.force == ("aviva", "force_aviva")
    assert outcome.adjustments == {"abbey": 0.9}


def test_higher_priority_override_wins_and_block_beats_force_at_equal_priority() -> None:
    doc = rules("""
        - {name: a_force, priority: 5, when: {keywords: [x]}, then: {force: abbey}}
        - {name: b_block, priority: 5, when: {keywords: [x]}, then: {block: {reason: no x, severity: medium}}}
        - {name: c_force, priority: 7, when: {keywords: [y]}, then: {force: aviva}}
    """)
    only_x = evaluate(doc, context("x"))
    assert only_x.block == ("b_block", "no x", "medium")
    assert only_x.force is None
    both = evaluate(doc, context("x y"))
    assert both.force == ("aviva", "c_force")
    assert both.block is None


def test_equal_priority_ties_break_by_name_not_file_order() -> None:
    first = rules("""
        - {name: zeta, priority: 5, when: {keywords: [k]}, then: {boost: {abbey: 0.3}, tone: firm}}
        - {name: alpha, priority: 5, when: {keywords: [k]}, then: {boost: {abbey: 0.1}, tone: warm}}
    """)
    second = rules("""
        - {name: alpha, priority: 5, when: {keywords: [k]}, then: {boost: {abbey: 0.1}, tone: warm}}
        - {name: zeta, priority: 5, when: {keywords: [k]}, then: {boost: {abbey: 0.3}, tone: firm}}
    """)
    for doc in (first, second):
        outcome = evaluate(doc, context("k"))
        assert outcome.adjusted_by == {"abbey": "alpha"}
        assert outcome.tone == "warm"
        assert outcome.matched == ["alpha", "zeta"]


def test_suppress_lowers_and_conditions_combine() -> None:
    doc = rules("""
        - name: calm_tech
          priority: 3
          when:
            query_type: [debugging]
            sentiment: {polarity: {gte: -0.2}}
            user_role: [operator]
            metadata: {channel: [ide, cli]}
            not: {keywords: [urgent]}
          then: {suppress: {abbey: 0.25}}
    """)
    ctx = context("stack trace here", query_type="debugging", user_role="operator", metadata={"channel": "ide"})
    assert evaluate(doc, ctx).adjustments == {"abbey": -0.25}
    assert (
        evaluate(
            doc,
            context("urgent stack trace", query_type="debugging", user_role="operator", metadata={"channel": "ide"}),
        ).adjustments
        == {}
    )
    assert (
        evaluate(doc, context("x", query_type="debugging", user_role="user", metadata={"channel": "ide"})).adjustments
        == {}
    )


def test_emotion_urgency_any_and_requested_persona_conditions() -> None:
    sad = SentimentResult(-0.6, 0.7, 0.8, "negative", {"sadness": 0.9, "neutral": 0.1})
    doc = rules("""
        - name: sad_or_urgent
          priority: 4
          when:
            any:
              - emotion: {sadness: {gt: 0.8}}
              - urgency: {gte: 0.95}
            requested_persona: none
          then: {boost: {abbey: 0.2}}
    """)
    assert evaluate(doc, context("today", sentiment=sad)).adjustments == {"abbey": 0.2}
    assert evaluate(doc, context("today", sentiment=sad, requested_persona="aviva")).adjustments == {}
    assert evaluate(doc, context("today")).adjustments == {}


def test_disabled_rules_do_not_match() -> None:
    doc = rules("""
        - {name: dormant, priority: 5, enabled: false, when: {keywords: [k]}, then: {force: aviva}}
    """)
    assert evaluate(doc, context("k")).force is None


@pytest.mark.parametrize(
    ("body", "path", "needle"),
    [
        (
            "- {name: r1, priority: 1, when: {colour: blue}, then: {force: aviva}}",
            "/rules/0/when/colour",
            "unknown condition 'colour'",
        ),
        (
            "- {name: r1, priority: 1, when: {keywords: [a]}, then: {teleport: aviva}}",
            "/rules/0/then/teleport",
            "unknown action 'teleport'",
        ),
        (
            "- {name: r1, priority: high, when: {keywords: [a]}, then: {force: aviva}}",
            "/rules/0/priority",
            "not of type 'integer'",
        ),
        (
            "- {name: r1, priority: 1, when: {emotion: {happyness: {gt: 0.5}}}, then: {force: aviva}}",
            "/rules/0/when/emotion",
            "happyness",
        ),
        ("- {name: r1, priority: 1, when: {keywords: [a]}, then: {boost: {abi: 0.2}}}", "/rules/0/then/boost", "abi"),
        (
            "- {name: r1, priority: 1, when: {regex: '([a-z'}, then: {force: aviva}}",
            "/rules/0/when/regex",
            "invalid regex",
        ),
        (
            "- {name: r1, priority: 1, when: {keywords: [a]}, then: {force: aviva}}\n"
            "- {name: r1, priority: 2, when: {keywords: [b]}, then: {force: abbey}}",
            "/rules/1/name",
            "duplicate",
        ),
        (
            "- {name: r1, priority: 1, when: {urgency: {gt: 3}}, then: {force: aviva}}",
            "/rules/0/when/urgency/gt",
            "maximum",
        ),
    ],
)
def test_invalid_rules_are_rejected_with_their_location(body: str, path: str, needle: str) -> None:
    document, problems = validate_document(rules(body))
    assert document is None
    assert any(p.path == path and needle in p.message for p in problems), problems
    located = next(p for p in problems if p.path == path)
    assert located.rule_name == "r1"
    assert located.line >= 3


def test_a_crisis_can_never_be_configured_to_block() -> None:
    doc = "version: 1\npolicies:\n  crisis: {action: block}\nrules: []\n"
    with pytest.raises(RulesInvalidError) as error:
        build_rule_set(doc, PolicyConfig.default())
    assert error.value.problems[0].path == "/policies/crisis/action"


def test_shipped_default_rules_are_valid() -> None:
    from services.abi.rules.store import DEFAULT_RULES_PATH

    document, problems = validate_document(DEFAULT_RULES_PATH.read_text())
    assert problems == []
    assert document is not None and len(document["rules"]) >= 5


def test_a_rule_can_ask_whether_the_message_asks_about_what_the_user_told() -> None:
    doc = rules(
        """
        - name: told
          priority: 10
          when: {asks_what_was_told: true}
          then: {force: abbey}
        - name: not_told
          priority: 5
          when: {asks_what_was_told: false}
          then: {boost: {aviva: 0.1}}
        """
    )
    assert evaluate(doc, context("what's my dog's name?")).force == ("abbey", "told")
    assert evaluate(doc, context("what is my python version?")).force is None
    assert evaluate(doc, context("what is my python version?")).matched == ["not_told"]
