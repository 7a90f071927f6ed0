"""PersonaRouter: policy first, then overrides, rules, the model's persona scores, learned weights.

The personas come from the registry: the model scores the personas it was trained on; any other
answering persona starts from a capability prior (its declared query types) and is reached mostly
through rules. Crisis messages go to the registry's support persona; tone follows each persona's style.

One call turns a request, the model's scores and the learned weights into a Decision. It is pure
CPU work (well under a millisecond after the model ran); the servicer does the I/O, runs the model
and converts to protobuf.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from cachetools import LRUCache

from services.abi.conversation import EARLIER_MESSAGE_CHARS, without_harmful
from services.abi.model import AbiModel, Scores
from services.abi.policy import PolicyChecker, PolicyConfig, PolicyVerdict, SecondReading, may_stop_as_threat
from services.abi.rules.engine import RuleContext
from services.abi.rules.store import RuleSet
from services.abi.sentiment import SentimentAnalyzer, SentimentResult
from services.abi.sessions import SessionMemory
from services.abi.verifier import ThreatVerifier
from services.common.conversation import read_together
from services.common.emotions import DISTRESS
from services.common.registry import PersonaRegistry, persona_registry

DISTRESS_EMOTIONS = DISTRESS
# Score an answering persona the model does not know gets when the query type is one it serves.
CAPABILITY_PRIOR = 0.3


@dataclass(frozen=True)
class Evidence:
    """Learned persona weights from the embedding index (empty, with the problem, when unreachable)."""

    weights: dict[str, float] = field(default_factory=dict)
    problem: str = ""

    @property
    def degraded(self) -> bool:
        return bool(self.problem)


@dataclass(frozen=True)
class RouteInput:
    content: str
    user_id: str = ""
    session_id: str = ""
    forced_persona: str = ""  # "" or a registry name
    user_role: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    # Persona of the latest assistant turn in recent_turns, if any.
    last_persona: str = ""
    # The user's earlier messages in the conversation, oldest first (services/abi/conversation.py).
    earlier: tuple[str, ...] = ()


@dataclass(frozen=True)
class Together:
    """What the model reads together with the message (services/abi/conversation.py): every earlier user message
    for the crisis signal, and, when the rules read harm together, those not harmful alone (the same text when none
    is; None: nothing to read)."""

    crisis: str | None = None
    harm: str | None = None


@dataclass(frozen=True)
class Reading:
    """What the model read: the message's scores, P(crisis) of the conversation read together, and the harm read
    together (None when there was nothing earlier to read, or the message alone already decides); and the threat
    verifier's reading of a message the model could stop as a threat (services/abi/verifier.py)."""

    scores: Scores
    conversation_crisis: float | None = None
    conversation_harm: Scores | None = None
    second_reading: SecondReading | None = None

    @staticmethod
    def of(
        scores: Scores,
        crisis_read: Scores | None,
        harm_read: Scores | None,
        policy: PolicyConfig,
        second_reading: SecondReading | None = None,
    ) -> Reading:
        """The reading from the message's scores and the conversation's, keeping only what can change the verdict:
        no crisis reading for a message that is a crisis alone unless its harm could block it, no harm reading for
        one blocked alone."""
        crisis = crisis_read.crisis if crisis_read is not None and needs_crisis_read(scores, policy) else None
        harm = harm_read if harm_read is not None and scores.harm_probability < policy.block_threshold else None
        return Reading(scores, crisis, harm, second_reading)


def needs_crisis_read(scores: Scores, policy: PolicyConfig) -> bool:
    """Whether the conversation's crisis reading can change the verdict: the message alone is no crisis, or it is one
    whose harm reaches the block threshold (a crisis the conversation confirms then comes before it)."""
    return scores.crisis < policy.crisis_threshold or scores.harm_probability >= policy.block_threshold


class HarmAlone:
    """P(harm) of recently read messages, each alone, by a hash of the text: an earlier message of a conversation was
    routed in its own turn, so whether to leave it out of the harm reading costs no model pass (a miss costs one).
    Holds no text, only a digest and a number (~4 MB when full); least recently used leave first."""

    def __init__(self, capacity: int = 20_000) -> None:
        self._items: LRUCache[bytes, float] = LRUCache(maxsize=capacity)
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def get(self, text: str) -> float | None:
        with self._lock:
            return self._items.get(self._key(text))

    def put(self, text: str, harm: float) -> None:
        with self._lock:
            self._items[self._key(text)] = harm


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
    crisis: bool = False
    latency_ms: float = 0.0


class PersonaRouter:
    def __init__(
        self,
        model: AbiModel,
        sessions: SessionMemory | None = None,
        registry: PersonaRegistry | None = None,
        verifier: ThreatVerifier | None = None,
    ) -> None:
        self.model = model
        self.verifier = verifier
        self.registry = registry or persona_registry()
        self.sentiment = SentimentAnalyzer(model.thresholds["emotion"], model.thresholds["ekman"])
        self.policy = PolicyChecker(
            PolicyConfig.default(model.decision["block"], model.decision["review"], model.decision["crisis"])
        )
        self.sessions = sessions or SessionMemory()
        self.harm_alone = HarmAlone()

    @property
    def base_policy(self) -> PolicyConfig:
        """Policy defaults with the thresholds tuned in training; the rules document may override them."""
        return self.policy.config

    def scores(self, text: str) -> Scores:
        """The model's scores for one text (a few milliseconds of CPU; releases the GIL)."""
        return self.model.score([text])[0]

    def message_scores(self, text: str, policy: PolicyConfig) -> Scores:
        """The scores of a user's message; when the rules read harm together, its P(harm) is remembered for when it
        is an earlier message of the conversation (`together`), under the key `earlier_user_messages` gives it."""
        scores = self.scores(text)
        if policy.conversation_harm_threshold is not None:
            self.harm_alone.put(text.strip()[-EARLIER_MESSAGE_CHARS:], scores.harm_probability)
        return scores

    def together(self, request: RouteInput, policy: PolicyConfig) -> Together:
        """The texts to read with the message: each earlier message's own P(harm) comes from `harm_alone` when it
        was read in its own turn, else from a model pass."""
        if not request.earlier:
            return Together()
        crisis = read_together(request.earlier, request.content)
        if policy.conversation_harm_threshold is None:
            return Together(crisis)  # harm is judged on the message alone
        harm = [self._harm_alone(text, policy) for text in request.earlier]
        kept = without_harmful(request.earlier, harm, policy.review_threshold)
        return Together(crisis, read_together(kept, request.content) if kept else None)

    def needs_second_reading(self, scores: Scores, policy: PolicyConfig) -> bool:
        """Whether the threat verifier should read a user's message: the model could stop it as a threat."""
        return self.verifier is not None and may_stop_as_threat(scores, policy)

    def second_reading(self, text: str, scores: Scores, policy: PolicyConfig) -> SecondReading | None:
        """The threat verifier's reading of a user's message the model could stop as a threat; None otherwise (one
        more model pass, only then)."""
        if self.verifier is None or not self.needs_second_reading(scores, policy):
            return None
        return self.verifier.read(text)

    def _harm_alone(self, text: str, policy: PolicyConfig) -> float:
        remembered = self.harm_alone.get(text)
        return self.message_scores(text, policy).harm_probability if remembered is None else remembered

    def read(self, request: RouteInput, policy: PolicyConfig) -> Reading:
        """The message's scores, then the conversation read together where it can change the verdict (one more model
        pass, two when an earlier message is harmful alone). The service runs the passes at once on its model
        threads instead (`AbiServicer._read`): the same reading, about half the wait."""
        scores = self.message_scores(request.content, policy)
        second = self.second_reading(request.content, scores, policy)
        texts = self.together(request, policy)
        crisis_read = self.scores(texts.crisis) if texts.crisis and needs_crisis_read(scores, policy) else None
        if texts.harm and scores.harm_probability < policy.block_threshold:
            harm_read = crisis_read if texts.harm == texts.crisis and crisis_read else self.scores(texts.harm)
        else:
            harm_read = None
        return Reading.of(scores, crisis_read, harm_read, policy, second)

    def decide(self, request: RouteInput, reading: Reading, evidence: Evidence, rules: RuleSet) -> Decision:
        started = time.perf_counter()
        text = request.content
        scores = reading.scores
        reasons: list[str] = []
        verdict = self.policy.check(
            text,
            scores,
            config=rules.policy,
            conversation_crisis=reading.conversation_crisis,
            conversation_harm=reading.conversation_harm,
            second_reading=reading.second_reading,
        )
        sentiment = self.sentiment.analyze(text, scores, crisis=verdict.crisis)
        query_type = max(scores.query_type, key=lambda q: scores.query_type[q])
        if evidence.degraded:
            reasons.append(f"learned weights unavailable ({evidence.problem})")

        answering = self.registry.answering
        persona_scores = self._prior(scores, query_type)
        self._apply_weights(persona_scores, evidence, reasons)
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
            persona_scores[persona] = max(0.0, persona_scores[persona] + amount)
            reasons.append(f"rule {outcome.adjusted_by[persona]}: {persona} {amount:+.2f}")
        reasons.extend(outcome.notes)
        harm = verdict.harm
        total = sum(persona_scores.values()) or 1.0
        normalised = {p: persona_scores[p] / total for p in answering}
        ranked = sorted(answering, key=lambda p: (-normalised[p], answering.index(p)))
        moderator, support = self.registry.moderator, self.registry.support
        tone = outcome.tone

        if verdict.blocked:
            persona, confidence = moderator, harm
            alternatives: list[str] = []
            reasons.insert(0, "policy: " + "; ".join(verdict.reasons))
            tone = "firm"
        elif outcome.block is not None:
            rule_name, reason, severity = outcome.block
            verdict.raise_to("block", severity)
            verdict.categories.append(f"rule.{rule_name}")
            verdict.reasons.append(reason)
            # An operator's rule is certain by definition.
            persona, confidence, alternatives = moderator, 1.0, []
            reasons.insert(0, f"rule {rule_name} blocks: {reason}")
            tone = "firm"
        elif verdict.crisis:
            persona, alternatives = support, [p for p in ranked if p != support]
            confidence = verdict.crisis_score
            reasons.insert(0, f"policy: crisis signals; {support} answers with support resources")
            tone = "supportive"
        elif request.forced_persona in answering:
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
            if previous in answering and previous != persona and margin < rules.hysteresis:
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
        if request.session_id and persona in answering:
            self.sessions.put(self._session_key(request), persona)
        out_scores = {**{p: round(normalised[p] * (1.0 - harm), 4) for p in answering}, moderator: round(harm, 4)}
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
            crisis=verdict.crisis,
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _prior(self, scores: Scores, query_type: str) -> dict[str, float]:
        """The model's persona scores; a persona it was not trained on gets the capability prior."""
        prior = {}
        for name in self.registry.answering:
            if name in scores.persona:
                prior[name] = scores.persona[name]
            else:
                entry = self.registry.entries[name]
                prior[name] = CAPABILITY_PRIOR if query_type in entry.capabilities.query_types else 0.0
        return prior

    def _apply_weights(self, scores: dict[str, float], evidence: Evidence, reasons: list[str]) -> None:
        changed = []
        for persona in self.registry.answering:
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
        if request.last_persona in self.registry.answering:
            return request.last_persona
        if request.session_id:
            return self.sessions.get(self._session_key(request))
        return None

    @staticmethod
    def _session_key(request: RouteInput) -> str:
        return f"{request.user_id}\x00{request.session_id}"

    def _tone(self, persona: str, sentiment: SentimentResult) -> str:
        """The persona's style from the registry, softened when the user is distressed."""
        entry = self.registry.entries.get(persona)
        style = entry.generation.style if entry and entry.role == "answering" else "firm"
        if style == "firm":
            return "firm"
        # VADER alone reads "kill a process" as negative; distress needs a negative emotion to be present too.
        negative = max((sentiment.emotion_scores.get(e, 0.0) for e in DISTRESS_EMOTIONS), default=0.0)
        distressed = sentiment.urgency > 0.5 or (sentiment.polarity < -0.3 and negative >= 0.5)
        if style == "warm":
            return "supportive" if distressed else "warm"
        return "warm" if distressed else "direct"
