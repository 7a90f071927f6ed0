"""PersonaRouter: policy first, then overrides, rules, learned heads, profile similarity, learned weights.

One call turns a request plus the evidence from the embedding index into a
Decision. It is pure CPU work (well under a millisecond); the servicer does the
I/O and the protobuf conversion.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from services.abi.features import lexical_features, vader_scores
from services.abi.heads import Heads
from services.abi.policy import PolicyChecker, PolicyConfig, PolicyVerdict
from services.abi.query_cues import cue_query_type
from services.abi.rules.engine import RuleContext
from services.abi.rules.store import RuleSet
from services.abi.sentiment import SentimentAnalyzer, SentimentResult
from services.abi.sessions import SessionMemory
from services.abi.taxonomy import POLICY_CLASSES

ANSWERING = ("abbey", "aviva")
DISTRESS_EMOTIONS = ("sadness", "grief", "fear", "nervousness", "remorse", "disappointment", "embarrassment")
# Used only when no vector is available.
TECHNICAL_WORDS = re.compile(
    r"\b(python|java(script)?|c\+\+|rust|golang|sql|code|function|class|method|api|server|database|linux|windows|"
    r"docker|kubernetes|git|compile[rd]?|install|library|package|process|thread|script|program|error|exception|"
    r"bug|debug|regex|json|html|css|query|array|list|string|file|command|terminal|variable|loop|how (do|can) i|"
    r"what is|who (is|was)|when (did|was)|where (is|was))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Evidence:
    """What the embedding index said about the message (all empty when it was unreachable)."""

    vector: np.ndarray | None = None
    similarity: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    problem: str = ""

    @property
    def degraded(self) -> bool:
        return self.vector is None


@dataclass(frozen=True)
class RouteInput:
    content: str
    user_id: str = ""
    session_id: str = ""
    forced_persona: str = ""  # "", "abbey" or "aviva"
    user_role: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    # Persona of the latest assistant turn in recent_turns, if any.
    last_persona: str = ""


@dataclass
class Decision:
    persona: str
    confidence: float
    scores: dict[str, float]
    alternatives: list[str]
    tone: str
    sentiment: SentimentResult
    moderation: PolicyVerdict
    query_type: str
    matched_rules: list[str]
    reasons: list[str]
    degraded: bool
    latency_ms: float = 0.0


class PersonaRouter:
    def __init__(self, heads: Heads, sessions: SessionMemory | None = None) -> None:
        self.heads = heads
        self.sentiment = SentimentAnalyzer(heads.emotion)
        self.policy = PolicyChecker(self._base_policy())
        self.sessions = sessions or SessionMemory()
        self._route_labels = heads.route.labels

    def _base_policy(self) -> PolicyConfig:
        decision = self.heads.metadata["heads"]["route"].get("decision", {})
        return PolicyConfig.default(float(decision.get("block", 0.4)), float(decision.get("self_harm", 0.3)))

    @property
    def base_policy(self) -> PolicyConfig:
        """Policy defaults with the thresholds tuned in training; the rules document may override them."""
        return self.policy.config

    def route_probabilities(self, vector: np.ndarray, lexical: np.ndarray) -> dict[str, float]:
        probs = self.heads.route.scores(np.concatenate([vector, lexical]))
        return {label: float(p) for label, p in zip(self._route_labels, probs, strict=True)}

    def query_type(self, vector: np.ndarray | None, lexical: np.ndarray, text: str) -> str:
        cued = cue_query_type(text)
        if cued is not None:
            return cued
        if vector is not None:
            probs = self.heads.query_type.scores(np.concatenate([vector, lexical]))
            return self.heads.query_type.labels[int(np.argmax(probs))]
        # Without a vector: the lexical signals only.
        if lexical[8] > 0:
            return "debugging"
        if lexical[7] > 0.3:
            return "code_request"
        return "factual_query" if "?" in text else "general"

    def decide(self, request: RouteInput, evidence: Evidence, rules: RuleSet) -> Decision:
        started = time.perf_counter()
        text = request.content
        reasons: list[str] = []
        vader = vader_scores(text)
        lexical = lexical_features(text, vader)
        vector = evidence.vector
        probs = self.route_probabilities(vector, lexical) if vector is not None else None
        sentiment = self.sentiment.analyze(text, vector, vader, lexical)
        query_type = self.query_type(vector, lexical, text)
        verdict = self.policy.check(text, probs, config=rules.policy)
        if evidence.degraded:
            reasons.append(
                f"embedding index unavailable ({evidence.problem or 'no vector'}): rules, sentiment and "
                "lexical policy only"
            )

        scores = self._base_scores(probs, lexical, sentiment, text, reasons)
        self._apply_similarity(scores, evidence, rules.similarity_weight, reasons)
        self._apply_weights(scores, evidence, reasons)
        context = RuleContext(
            text=text,
            sentiment=sentiment,
            query_type=query_type,
            user_role=request.user_role,
            metadata=request.metadata,
            requested_persona=request.forced_persona or "none",
            policy_categories=tuple(verdict.categories),
        )
        outcome = rules.engine.evaluate(context)
        for persona, amount in outcome.adjustments.items():
            scores[persona] = max(0.0, scores[persona] + amount)
            reasons.append(f"rule {outcome.adjusted_by[persona]}: {persona} {amount:+.2f}")
        reasons.extend(outcome.notes)
        harm = max((verdict.evidence.get(c, 0.0) for c in (*POLICY_CLASSES, "sexual_minors")), default=0.0)
        if probs is not None:
            harm = max(harm, sum(probs[c] for c in POLICY_CLASSES))
        total = sum(scores.values()) or 1.0
        normalised = {p: scores[p] / total for p in ANSWERING}
        ranked = sorted(ANSWERING, key=lambda p: (-normalised[p], p))
        tone = outcome.tone

        if verdict.blocked:
            persona, confidence = "abi", min(1.0, max(harm, rules.policy.block_threshold))
            alternatives: list[str] = []
            reasons.insert(0, "policy: " + "; ".join(verdict.reasons))
            tone = "firm"
        elif outcome.block is not None:
            rule_name, reason, severity = outcome.block
            verdict.raise_to("block", severity)
            verdict.categories.append(f"rule.{rule_name}")
            verdict.reasons.append(reason)
            # An operator's rule is certain by definition.
            persona, confidence, alternatives = "abi", 1.0, []
            reasons.insert(0, f"rule {rule_name} blocks: {reason}")
            tone = "firm"
        elif verdict.redirect or "self_harm" in verdict.categories:
            persona, alternatives = "abbey", ["aviva"]
            confidence = max(normalised["abbey"] * (1.0 - harm), verdict.evidence.get("self_harm", 0.0))
            reasons.insert(0, "policy: self-harm signals; abbey answers with support resources")
            tone = "supportive"
        elif request.forced_persona in ANSWERING:
            persona = request.forced_persona
            confidence = normalised[persona] * (1.0 - harm)
            alternatives = [p for p in ranked if p != persona]
            reasons.insert(0, f"the user asked for {persona}")
        elif outcome.force is not None:
            persona, rule_name = outcome.force
            confidence = normalised[persona] * (1.0 - harm)
            alternatives = [p for p in ranked if p != persona]
            reasons.insert(0, f"rule {rule_name} forces {persona}")
        else:
            persona = ranked[0]
            previous = self._previous_persona(request)
            margin = normalised[persona] - normalised.get(previous or "", 0.0)
            if previous in ANSWERING and previous != persona and margin < rules.hysteresis:
                reasons.append(
                    f"session hysteresis: {previous} keeps the conversation ({persona} led by only "
                    f"{margin:.2f} < {rules.hysteresis:.2f})"
                )
                persona = previous
            else:
                reasons.append(f"{persona} scored highest ({normalised[persona]:.2f})")
            confidence = normalised[persona] * (1.0 - harm)
            alternatives = [p for p in ranked if p != persona]
        if verdict.action == "require_human_review":
            reasons.append("policy: flagged for human review")
        if tone is None:
            tone = self._tone(persona, sentiment)
        if request.session_id and persona in ANSWERING:
            self.sessions.put(self._session_key(request), persona)
        out_scores = {**{p: round(normalised[p] * (1.0 - harm), 4) for p in ANSWERING}, "abi": round(harm, 4)}
        return Decision(
            persona=persona,
            confidence=round(float(min(1.0, max(0.0, confidence))), 4),
            scores=out_scores,
            alternatives=alternatives,
            tone=tone,
            sentiment=sentiment,
            moderation=verdict,
            query_type=query_type,
            matched_rules=outcome.matched,
            reasons=reasons,
            degraded=evidence.degraded,
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )

    @staticmethod
    def _base_scores(
        probs: dict[str, float] | None,
        lexical: np.ndarray,
        sentiment: SentimentResult,
        text: str,
        reasons: list[str],
    ) -> dict[str, float]:
        if probs is not None:
            abbey = probs["abbey"] + probs["self_harm"]
            aviva = probs["aviva"]
            total = abbey + aviva or 1.0
            return {"abbey": abbey / total, "aviva": aviva / total}
        # Degraded: personal, emotional messages lean to abbey; code, errors and plain questions to aviva.
        personal = 0.35 * lexical[0] + 0.25 * max(0.0, -sentiment.polarity) + 0.2 * sentiment.intensity
        technical = 0.35 * lexical[7] + 0.3 * lexical[8] + 0.15 * lexical[3] * (1.0 - lexical[0])
        technical += 0.3 * min(1.0, len(TECHNICAL_WORDS.findall(text)) / 2.0)
        abbey = 0.5 + personal - technical
        reasons.append("scored from lexical cues and sentiment (no vector)")
        return {"abbey": float(np.clip(abbey, 0.05, 0.95)), "aviva": float(np.clip(1.0 - abbey, 0.05, 0.95))}

    @staticmethod
    def _apply_similarity(scores: dict[str, float], evidence: Evidence, weight: float, reasons: list[str]) -> None:
        sims = {p: evidence.similarity[p] for p in ANSWERING if p in evidence.similarity}
        if len(sims) < 2 or weight <= 0:
            return
        mean = sum(sims.values()) / len(sims)
        for persona, sim in sims.items():
            scores[persona] = max(0.0, scores[persona] + weight * (sim - mean))
        best = max(sims, key=lambda p: sims[p])
        reasons.append(f"profile similarity favours {best} ({sims[best]:.2f})")

    @staticmethod
    def _apply_weights(scores: dict[str, float], evidence: Evidence, reasons: list[str]) -> None:
        changed = []
        for persona in ANSWERING:
            weight = evidence.weights.get(persona)
            if weight is None or not np.isfinite(weight) or weight <= 0:
                continue
            weight = float(np.clip(weight, 0.5, 2.0))
            scores[persona] *= weight
            if abs(weight - 1.0) > 0.01:
                changed.append(f"{persona} x{weight:.2f}")
        if changed:
            reasons.append("learned weights: " + ", ".join(changed))

    def _previous_persona(self, request: RouteInput) -> str | None:
        if request.last_persona in ANSWERING:
            return request.last_persona
        if request.session_id:
            return self.sessions.get(self._session_key(request))
        return None

    @staticmethod
    def _session_key(request: RouteInput) -> str:
        return f"{request.user_id}\x00{request.session_id}"

    @staticmethod
    def _tone(persona: str, sentiment: SentimentResult) -> str:
        if persona == "abi":
            return "firm"
        # VADER alone reads "kill a process" as negative; distress needs a negative emotion to be present too.
        negative = max((sentiment.emotion_scores.get(e, 0.0) for e in DISTRESS_EMOTIONS), default=0.0)
        distressed = sentiment.urgency > 0.5 or (sentiment.polarity < -0.3 and negative >= 0.5)
        if persona == "abbey":
            return "supportive" if distressed else "warm"
        return "warm" if distressed else "direct"
