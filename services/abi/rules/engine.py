"""Compiled rules and their semantics.

Semantics (also in services/abi/README.md):
- A rule matches when every condition in its `when` holds (`any` is an OR of
  condition blocks, `not` negates one).
- Matching rules are ordered by priority (higher first); equal priorities break
  by rule name (alphabetical), so the outcome never depends on file order.
- Overrides beat boosts: the first matching rule in that order with `block` or
  `force` decides the persona (at equal priority `block` beats `force`), and
  boosts/suppressions then change only the reported scores.
- Boosts are not summed: for each persona, the highest-priority matching rule
  that boosts or suppresses it sets its adjustment; lower ones are shadowed.
- `tone` comes from the highest-priority matching rule that sets one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.abi.sentiment import SentimentResult
from services.common.personal import asks_what_was_told

Predicate = Callable[["RuleContext"], bool]


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at."""

    text: str
    sentiment: SentimentResult
    query_type: str
    user_role: str
    metadata: dict[str, str]
    requested_persona: str  # a registry name or "none"
    policy_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    name: str
    priority: int
    matches: Predicate
    boost: dict[str, float]
    suppress: dict[str, float]
    force: str | None
    block: dict[str, str] | None
    tone: str | None
    description: str = ""

    @property
    def decisive(self) -> bool:
        return self.force is not None or self.block is not None


@dataclass
class RuleOutcome:
    matched: list[str] = field(default_factory=list)
    adjustments: dict[str, float] = field(default_factory=dict)
    adjusted_by: dict[str, str] = field(default_factory=dict)
    force: tuple[str, str] | None = None  # (persona, rule name)
    block: tuple[str, str, str] | None = None  # (rule name, reason, severity)
    tone: str | None = None
    notes: list[str] = field(default_factory=list)


def _threshold(spec: dict[str, float]) -> Callable[[float], bool]:
    """A test of a value against the bounds in `spec` (gt, gte, lt, lte; all must hold)."""
    gt, gte, lt, lte = spec.get("gt"), spec.get("gte"), spec.get("lt"), spec.get("lte")

    def test(value: float) -> bool:
        return (
            (gt is None or value > gt)
            and (gte is None or value >= gte)
            and (lt is None or value < lt)
            and (lte is None or value <= lte)
        )

    return test


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _words(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def _search(pattern: re.Pattern[str], *, negate: bool = False) -> Predicate:
    def check(c: RuleContext) -> bool:
        return (pattern.search(c.text) is None) if negate else (pattern.search(c.text) is not None)

    return check


def _search_all(patterns: list[re.Pattern[str]]) -> Predicate:
    return lambda c: all(p.search(c.text) for p in patterns)


def _search_any(patterns: list[re.Pattern[str]]) -> Predicate:
    return lambda c: any(p.search(c.text) for p in patterns)


def _emotion(name: str, test: Callable[[float], bool]) -> Predicate:
    return lambda c: test(c.sentiment.emotion(name))


def _member(values: set[str], read: Callable[[RuleContext], str]) -> Predicate:
    return lambda c: read(c) in values


def _overlap(values: set[str]) -> Predicate:
    return lambda c: bool(values & set(c.policy_categories))


def _one_of(alternatives: list[Predicate]) -> Predicate:
    return lambda c: any(alt(c) for alt in alternatives)


def _negation(predicate: Predicate) -> Predicate:
    return lambda c: not predicate(c)


def _metadata(key: str, values: set[str]) -> Predicate:
    return lambda c: c.metadata.get(key) in values


def compile_condition(spec: dict[str, Any]) -> Predicate:
    """A predicate that holds when every condition of `spec` holds."""
    checks: list[Predicate] = []
    keywords = spec.get("keywords")
    if keywords is not None:
        groups = {"any": keywords} if isinstance(keywords, list) else keywords
        if "any" in groups:
            checks.append(_search(_words(groups["any"])))
        if "all" in groups:
            checks.append(_search_all([_words([w]) for w in groups["all"]]))
        if "none" in groups:
            checks.append(_search(_words(groups["none"]), negate=True))
    if "regex" in spec:
        checks.append(_search_any([re.compile(r, re.IGNORECASE) for r in _as_list(spec["regex"])]))
    for name, limits in (spec.get("emotion") or {}).items():
        checks.append(_emotion(name, _threshold(limits)))
    sentiment = spec.get("sentiment") or {}
    if "polarity" in sentiment:
        polarity = _threshold(sentiment["polarity"])
        checks.append(lambda c: polarity(c.sentiment.polarity))
    if "intensity" in sentiment:
        intensity = _threshold(sentiment["intensity"])
        checks.append(lambda c: intensity(c.sentiment.intensity))
    if "urgency" in spec:
        urgency = _threshold(spec["urgency"])
        checks.append(lambda c: urgency(c.sentiment.urgency))
    if "query_type" in spec:
        checks.append(_member(set(_as_list(spec["query_type"])), lambda c: c.query_type))
    if "user_role" in spec:
        checks.append(_member({r.lower() for r in _as_list(spec["user_role"])}, lambda c: c.user_role.lower()))
    for key, expected in (spec.get("metadata") or {}).items():
        checks.append(_metadata(key, set(_as_list(expected))))
    if "requested_persona" in spec:
        checks.append(_member(set(_as_list(spec["requested_persona"])), lambda c: c.requested_persona))
    if "policy_category" in spec:
        checks.append(_overlap(set(_as_list(spec["policy_category"]))))
    if "asks_what_was_told" in spec:
        wanted = bool(spec["asks_what_was_told"])
        checks.append(lambda c: asks_what_was_told(c.text) == wanted)
    if "any" in spec:
        checks.append(_one_of([compile_condition(sub) for sub in spec["any"]]))
    if "not" in spec:
        checks.append(_negation(compile_condition(spec["not"])))
    return lambda context: all(check(context) for check in checks)


def compile_rule(spec: dict[str, Any]) -> Rule:
    action = spec["then"]
    block = action.get("block")
    block_spec: dict[str, str] | None = None
    if block is True:
        block_spec = {"reason": f"blocked by rule {spec['name']}", "severity": "high"}
    elif isinstance(block, dict):
        block_spec = {
            "reason": block.get("reason") or f"blocked by rule {spec['name']}",
            "severity": block.get("severity", "high"),
        }
    return Rule(
        name=spec["name"],
        priority=int(spec["priority"]),
        matches=compile_condition(spec["when"]),
        boost=dict(action.get("boost") or {}),
        suppress=dict(action.get("suppress") or {}),
        force=action.get("force"),
        block=block_spec,
        tone=action.get("tone"),
        description=spec.get("description", ""),
    )


class RuleEngine:
    """Evaluates a compiled rule set against one request."""

    def __init__(self, rules: list[Rule]) -> None:
        # Priority first, then name: the order never depends on the file.
        self.rules = sorted(rules, key=lambda r: (-r.priority, r.name))

    def evaluate(self, context: RuleContext) -> RuleOutcome:
        outcome = RuleOutcome()
        matched = [rule for rule in self.rules if rule.matches(context)]
        outcome.matched = [rule.name for rule in matched]
        decisive = sorted((r for r in matched if r.decisive), key=lambda r: (-r.priority, r.block is None, r.name))
        if decisive:
            winner = decisive[0]
            if winner.block is not None:
                outcome.block = (winner.name, winner.block["reason"], winner.block["severity"])
            elif winner.force is not None:
                outcome.force = (winner.force, winner.name)
            for loser in decisive[1:]:
                outcome.notes.append(f"rule {loser.name} (priority {loser.priority}) overridden by {winner.name}")
        for rule in matched:
            for persona, amount in [*rule.boost.items(), *((p, -a) for p, a in rule.suppress.items())]:
                if persona in outcome.adjusted_by:
                    outcome.notes.append(
                        f"rule {rule.name} on {persona} shadowed by higher-priority {outcome.adjusted_by[persona]}"
                    )
                    continue
                outcome.adjustments[persona] = amount
                outcome.adjusted_by[persona] = rule.name
            if outcome.tone is None and rule.tone is not None:
                outcome.tone = rule.tone
        return outcome
