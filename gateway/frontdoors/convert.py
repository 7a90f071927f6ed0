"""Proto messages to the JSON shapes of the HTTP API.

Personas appear by their registry names (`services.common.registry.wire` reads the name/enum pair).
"""

from __future__ import annotations

from typing import Any

from personamesh.v1 import persona_pb2
from services.common.registry.wire import alternatives_of, persona_of


def _enum_label(enum: Any, value: int, prefix: str) -> str:
    try:
        return str(enum.Name(value)).removeprefix(prefix).lower()
    except ValueError:
        return "unspecified"


def moderation_json(moderation: persona_pb2.ModerationResult) -> dict[str, Any]:
    return {
        "action": _enum_label(persona_pb2.PolicyAction, moderation.action, "POLICY_ACTION_"),
        "severity": _enum_label(persona_pb2.Severity, moderation.severity, "SEVERITY_"),
        "categories": list(moderation.categories),
        "reasons": list(moderation.reasons),
    }


def routing_json(decision: persona_pb2.RoutingDecision) -> dict[str, Any]:
    """The routing decision as `POST /api/v1/route` answers it."""
    sentiment = decision.sentiment
    return {
        "persona": persona_of(decision),
        "confidence": round(float(decision.confidence), 4),
        "scores": {persona_of(s): round(float(s.score), 4) for s in decision.scores if persona_of(s)},
        "alternatives": alternatives_of(decision),
        "tone": _enum_label(persona_pb2.Tone, decision.tone, "TONE_"),
        "emotions": [{"label": e.label, "score": round(float(e.score), 4)} for e in decision.emotions],
        "ekman_emotions": [{"label": e.label, "score": round(float(e.score), 4)} for e in decision.ekman_emotions],
        "crisis": decision.crisis,
        "crisis_score": round(float(decision.crisis_score), 4),
        "sentiment": {
            "polarity": round(float(sentiment.polarity), 4),
            "intensity": round(float(sentiment.intensity), 4),
            "urgency": round(float(sentiment.urgency), 4),
            "label": sentiment.label,
        },
        "moderation": moderation_json(decision.moderation),
        "matched_rules": list(decision.matched_rules),
        "reasons": list(decision.reasons),
        "query_type": decision.query_type,
        "degraded": decision.degraded,
        "latency_ms": round(float(decision.latency_ms), 3),
    }


def code_block_json(block: persona_pb2.CodeBlock) -> dict[str, Any]:
    """A code block with what was checked: `check` tells invalid from unchecked (no parser for the language), which
    `valid: false` alone does not, and `skeleton` marks a labelled starting point that does not answer."""
    return {
        "language": block.language,
        "code": block.code,
        "valid": block.valid,
        "check": _enum_label(persona_pb2.CodeCheck, block.check, "CODE_CHECK_"),
        "skeleton": block.skeleton,
    }


def response_json(
    request_id: str, response: persona_pb2.PersonaResponse, decision: persona_pb2.RoutingDecision
) -> dict[str, Any]:
    """A chat answer as `POST /api/v1/chat` answers it."""
    return {
        "request_id": request_id,
        "content": response.content,
        "persona": persona_of(response),
        "confidence": round(float(response.confidence), 4),
        "latency_ms": round(float(response.latency_ms), 3),
        "code_blocks": [code_block_json(b) for b in response.code_blocks],
        "references": [
            {"title": r.title, "url": r.url, "snippet": r.snippet, "confidence": round(float(r.confidence), 4)}
            for r in response.references
        ],
        "reasoning_steps": [
            {"description": s.description, "confidence": round(float(s.confidence), 3)}
            for s in response.reasoning_steps
        ],
        "emotional_state": {
            "primary": response.emotional_state.primary,
            "intensity": round(float(response.emotional_state.intensity), 3),
        }
        if response.HasField("emotional_state")
        else None,
        "tone": persona_pb2.Tone.Name(response.tone).removeprefix("TONE_").lower() if response.tone else None,
        "fallback": response.fallback,
        "degraded": response.degraded or decision.degraded,
        "backend": response.backend,
        "replica": response.replica,
        "routing": routing_json(decision),
    }
