"""JSON Schema of the rules document and validation errors that point at the bad rule.

Errors carry a JSON-pointer path ("/rules/3/when/colour"), the rule's name and
the YAML line, so an operator can find the problem without reading the schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonschema
import yaml

from services.abi.taxonomy import DERIVED, EMOTIONS, HARM_CATEGORIES, QUERY_TYPES
from services.common.registry import persona_registry

# Rules may name any answering persona of the registry this process loaded.
ANSWERING_PERSONAS = list(persona_registry().answering)
TONES = ["neutral", "warm", "supportive", "direct", "firm"]
SEVERITY_NAMES = ["low", "medium", "high", "critical"]
CONDITION_NAMES = [
    "keywords", "regex", "emotion", "sentiment", "urgency", "query_type", "user_role", "metadata",
    "requested_persona", "policy_category", "asks_what_was_told", "any", "not",
]  # fmt: skip
ACTION_NAMES = ["boost", "suppress", "force", "block", "tone"]

_UNIT = {"type": "number", "minimum": -1, "maximum": 1}
THRESHOLD = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {"gt": _UNIT, "gte": _UNIT, "lt": _UNIT, "lte": _UNIT},
}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
_STRING_OR_LIST = {"oneOf": [{"type": "string", "minLength": 1}, _STRINGS]}
_PERSONA_AMOUNTS = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"enum": ANSWERING_PERSONAS},
    "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
}

CONDITION: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "keywords": {
            "oneOf": [
                _STRINGS,
                {
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "properties": {"any": _STRINGS, "all": _STRINGS, "none": _STRINGS},
                },
            ]
        },
        "regex": _STRING_OR_LIST,
        "emotion": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"enum": sorted({*EMOTIONS, *DERIVED})},
            "additionalProperties": THRESHOLD,
        },
        "sentiment": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {"polarity": THRESHOLD, "intensity": THRESHOLD},
        },
        "urgency": THRESHOLD,
        "query_type": {"oneOf": [{"enum": list(QUERY_TYPES)}, {"type": "array", "items": {"enum": list(QUERY_TYPES)}}]},
        "user_role": _STRING_OR_LIST,
        "metadata": {"type": "object", "minProperties": 1, "additionalProperties": _STRING_OR_LIST},
        "requested_persona": {
            "oneOf": [
                {"enum": [*ANSWERING_PERSONAS, "none"]},
                {"type": "array", "items": {"enum": [*ANSWERING_PERSONAS, "none"]}},
            ]
        },
        "policy_category": _STRING_OR_LIST,
        "asks_what_was_told": {"type": "boolean"},
        "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
        "not": {"$ref": "#/$defs/condition"},
    },
}

ACTION: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "boost": _PERSONA_AMOUNTS,
        "suppress": _PERSONA_AMOUNTS,
        "force": {"enum": ANSWERING_PERSONAS},
        "block": {
            "oneOf": [
                {"const": True},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"reason": {"type": "string"}, "severity": {"enum": SEVERITY_NAMES}},
                },
            ]
        },
        "tone": {"enum": TONES},
    },
}

_CATEGORY_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "action": {"enum": ["block", "require_human_review", "warn", "allow"]},
        "severity": {"enum": SEVERITY_NAMES},
    },
}

DOCUMENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "$defs": {"condition": CONDITION},
    "properties": {
        "version": {"const": 1},
        "defaults": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "persona": {"enum": ANSWERING_PERSONAS},
                "hysteresis": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        "policies": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **{category: _CATEGORY_POLICY for category in HARM_CATEGORIES},
                "crisis": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        # A crisis is never blocked: people at risk must reach support.
                        "action": {"enum": ["redirect_to_support", "require_human_review", "warn"]},
                        "severity": {"enum": SEVERITY_NAMES},
                    },
                },
                "pii": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "action": {"enum": ["warn", "allow", "require_human_review", "block"]},
                        "severity": {"enum": SEVERITY_NAMES},
                        "redact": {"type": "boolean"},
                    },
                },
                "block_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "review_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "crisis_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "conversation_crisis_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "conversation_harm_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            },
        },
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "priority", "when", "then"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,63}$"},
                    "description": {"type": "string"},
                    "priority": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "enabled": {"type": "boolean"},
                    "when": {"$ref": "#/$defs/condition"},
                    "then": ACTION,
                },
            },
        },
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(DOCUMENT)


@dataclass(frozen=True)
class RuleProblem:
    path: str
    rule_name: str
    message: str
    line: int


def _pointer(parts: list[Any]) -> str:
    return "/" + "/".join(str(p) for p in parts) if parts else "/"


def _rule_name(document: Any, parts: list[Any]) -> str:
    if len(parts) >= 2 and parts[0] == "rules" and isinstance(parts[1], int) and isinstance(document, dict):
        rules = document.get("rules")
        if isinstance(rules, list) and parts[1] < len(rules) and isinstance(rules[parts[1]], dict):
            name = rules[parts[1]].get("name")
            return name if isinstance(name, str) else ""
    return ""


def _line(root: yaml.Node | None, parts: list[Any]) -> int:
    """1-based line of the YAML node at `parts` (or of its closest existing parent)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else 0
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            nxt = next((value for key, value in node.value if getattr(key, "value", None) == part), None)
            if nxt is None:
                nxt = next((key for key, _ in node.value if getattr(key, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def _schema_message(error: jsonschema.ValidationError) -> tuple[list[Any], str]:
    parts = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        if extra:
            where = parts[-1] if parts else "document"
            kind = {"when": "condition", "then": "action", "not": "condition"}.get(str(where), "field")
            if len(parts) >= 2 and parts[-2] == "any":
                kind = "condition"
            return [*parts, extra[0]], f"unknown {kind} {extra[0]!r}; allowed: {', '.join(allowed)}"
    if error.validator == "propertyNames":
        return [*parts, error.instance], f"{error.instance!r} is not allowed here: {error.message}"
    if error.validator == "oneOf" and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)) * -1)
        return list(error.absolute_path), best.message
    return parts, error.message


def validate_document(text: str) -> tuple[dict[str, Any] | None, list[RuleProblem]]:
    """Parse and check a rules document; returns (document, []) or (None, problems)."""
    if not text.strip():
        return None, [RuleProblem("/", "", "the rules document is empty", 0)]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return None, [RuleProblem("/", "", f"not valid YAML: {error}", mark.line + 1 if mark else 0)]
    problems: list[RuleProblem] = []
    for found in sorted(_VALIDATOR.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        parts, message = _schema_message(found)
        problems.append(RuleProblem(_pointer(parts), _rule_name(document, parts), message, _line(root, parts)))
    if problems:
        return None, problems
    problems.extend(_semantic_problems(document, root))
    return (None, problems) if problems else (document, [])


def _semantic_problems(document: dict[str, Any], root: yaml.Node | None) -> list[RuleProblem]:
    """What a schema cannot say: unique names, compilable regexes, no boost and suppress of one persona."""
    problems: list[RuleProblem] = []
    seen: dict[str, int] = {}
    for index, rule in enumerate(document.get("rules") or []):
        name = rule["name"]
        if name in seen:
            parts: list[Any] = ["rules", index, "name"]
            problems.append(
                RuleProblem(
                    _pointer(parts), name, f"duplicate rule name (first at /rules/{seen[name]})", _line(root, parts)
                )
            )
        seen.setdefault(name, index)
        for parts, pattern in _regexes(rule["when"], ["rules", index, "when"]):
            try:
                re.compile(pattern)
            except re.error as error:
                problems.append(
                    RuleProblem(_pointer(parts), name, f"invalid regex {pattern!r}: {error}", _line(root, parts))
                )
        action = rule["then"]
        both = set(action.get("boost", {})) & set(action.get("suppress", {}))
        if both:
            parts = ["rules", index, "then"]
            problems.append(
                RuleProblem(_pointer(parts), name, f"boosts and suppresses {sorted(both)} at once", _line(root, parts))
            )
        if "force" in action and "block" in action:
            parts = ["rules", index, "then"]
            problems.append(
                RuleProblem(_pointer(parts), name, "a rule cannot both force a persona and block", _line(root, parts))
            )
    return problems


def _regexes(condition: dict[str, Any], parts: list[Any]) -> list[tuple[list[Any], str]]:
    found: list[tuple[list[Any], str]] = []
    regex = condition.get("regex")
    if isinstance(regex, str):
        found.append(([*parts, "regex"], regex))
    elif isinstance(regex, list):
        found.extend(([*parts, "regex", i], r) for i, r in enumerate(regex))
    for i, sub in enumerate(condition.get("any") or []):
        found.extend(_regexes(sub, [*parts, "any", i]))
    if isinstance(condition.get("not"), dict):
        found.extend(_regexes(condition["not"], [*parts, "not"]))
    return found
