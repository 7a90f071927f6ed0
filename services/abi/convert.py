"""Decisions, verdicts and sentiment as protobuf messages."""

from __future__ import annotations

from google.protobuf import timestamp_pb2

from personamesh.v1 import persona_pb2
from services.abi.policy import PolicyVerdict
from services.abi.router import Decision
from services.abi.sentiment import SentimentResult
from services.common.registry import persona_enum

TONE = {
    "neutral": persona_pb2.TONE_NEUTRAL,
    "warm": persona_pb2.TONE_WARM,
    "supportive": persona_pb2.TONE_SUPPORTIVE,
    "direct": persona_pb2.TONE_DIRECT,
    "firm": persona_pb2.TONE_FIRM,
}
ACTION = {
    "allow": persona_pb2.POLICY_ACTION_ALLOW,
    "warn": persona_pb2.POLICY_ACTION_WARN,
    "block": persona_pb2.POLICY_ACTION_BLOCK,
    "redirect_to_support": persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT,
    "require_human_review": persona_pb2.POLICY_ACTION_REQUIRE_HUMAN_REVIEW,
}
SEVERITY = {
    "none": persona_pb2.SEVERITY_NONE,
    "low": persona_pb2.SEVERITY_LOW,
    "medium": persona_pb2.SEVERITY_MEDIUM,
    "high": persona_pb2.SEVERITY_HIGH,
    "critical": persona_pb2.SEVERITY_CRITICAL,
}


def moderation_proto(verdict: PolicyVerdict) -> persona_pb2.ModerationResult:
    return persona_pb2.ModerationResult(
        action=ACTION[verdict.action],
        severity=SEVERITY[verdict.severity],
        categories=verdict.categories,
        spans=[persona_pb2.Span(start=s.start, end=s.end, category=s.category) for s in verdict.spans],
        redacted_text=verdict.redacted_text,
        reasons=verdict.reasons,
    )


def sentiment_proto(result: SentimentResult) -> persona_pb2.Sentiment:
    return persona_pb2.Sentiment(
        polarity=result.polarity, intensity=result.intensity, urgency=result.urgency, label=result.label
    )


def present_emotions(result: SentimentResult) -> list[persona_pb2.EmotionScore]:
    """The GoEmotions labels judged present, strongest first, with their calibrated scores."""
    return [persona_pb2.EmotionScore(label=label, score=result.emotion_scores[label]) for label in result.present]


def present_ekman(result: SentimentResult) -> list[persona_pb2.EmotionScore]:
    return [persona_pb2.EmotionScore(label=label, score=result.ekman_scores[label]) for label in result.ekman_present]


def all_emotions(result: SentimentResult) -> list[persona_pb2.EmotionScore]:
    ordered = sorted(result.emotion_scores.items(), key=lambda item: -item[1])
    return [persona_pb2.EmotionScore(label=label, score=score) for label, score in ordered]


def derived_emotions(result: SentimentResult) -> list[persona_pb2.EmotionScore]:
    ordered = sorted(result.derived().items(), key=lambda item: -item[1])
    return [persona_pb2.EmotionScore(label=label, score=round(score, 4)) for label, score in ordered]


def decision_proto(decision: Decision) -> persona_pb2.RoutingDecision:
    decided_at = timestamp_pb2.Timestamp()
    decided_at.GetCurrentTime()
    return persona_pb2.RoutingDecision(
        persona=persona_enum(decision.persona),
        persona_name=decision.persona,
        confidence=decision.confidence,
        scores=[
            persona_pb2.PersonaScore(persona=persona_enum(p), persona_name=p, score=s)
            for p, s in decision.scores.items()
        ],
        # The enum list keeps only built-in personas; the names are the whole fallback order.
        alternatives=[value for value in map(persona_enum, decision.alternatives) if value],
        alternative_names=decision.alternatives,
        tone=TONE[decision.tone],
        emotions=present_emotions(decision.sentiment),
        sentiment=sentiment_proto(decision.sentiment),
        moderation=moderation_proto(decision.moderation),
        matched_rules=decision.matched_rules,
        reasons=decision.reasons,
        degraded=decision.degraded,
        query_type=decision.query_type,
        latency_ms=decision.latency_ms,
        decided_at=decided_at,
        crisis=decision.crisis,
        crisis_score=decision.moderation.crisis_score,
        ekman_emotions=present_ekman(decision.sentiment),
    )
