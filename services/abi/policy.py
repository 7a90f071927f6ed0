"""PolicyChecker: the moderation verdict for user input or persona output, from the model's scores.

What the verdict means:
- **block**: a request for a harmful capability or abuse aimed at others, when the model's harm
  probability reaches the block threshold and the message carries enough words to judge;
- **warn / require_human_review**: uncertain harm (between the review and block thresholds, or too
  few words to judge). `warn` is answered and flagged; `require_human_review` (a critical category, or
  too short to block) is held by the gateway with a reply saying a person must review it, never silently;
- **redirect_to_support**: a crisis (the user or someone they speak of is at risk). Recall-first
  threshold; never blocked. When harm fires too, the crisis wins unless the harm can only be aimed
  at others (a threat, fraud, hate...) and the model is more sure of the harm than of the crisis;
- PII (email, phone, card, ...) is found by pattern and redacted (services/abi/pii.py).
Each category's action and severity come from the rules document (`policies:`); the thresholds come
from the model card (tuned on data that was not fitted) unless the rules document overrides them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.abi.conversation import CONVERSATION_CRISIS_THRESHOLD
from services.abi.model import Scores
from services.abi.pii import PiiFinding, find_pii, redact
from services.abi.taxonomy import HARM_CATEGORIES

ACTIONS = ("allow", "warn", "redirect_to_support", "require_human_review", "block")
SEVERITIES = ("none", "low", "medium", "high", "critical")
CRISIS = "crisis"
CATEGORIES = (*HARM_CATEGORIES, CRISIS, "pii")
# Harm aimed at someone that a second reading may clear (services/abi/verifier.py): the categories of its
# contrasts (threats, harassment and locating someone, against plans in the same words).
THREAT_CATEGORIES = frozenset({"violent_threat", "harassment", "privacy"})
# Harm a person in crisis may be asking about for themselves (a method, a dose, a weapon).
SELF_DIRECTABLE = ("violence", "weapons", "cbrn", "drugs", "other_harm")
# Below this many words a message carries too little evidence to block (greetings, thanks, "ok").
MIN_WORDS_TO_BLOCK = 3
# Persona output is checked for harm with at least this threshold: the model learned from requests.
OUTPUT_BLOCK_FLOOR = 0.9
# Categories that describe what a user does, not what an answer can do, so they do not count in output:
# an answer may quote or explain an injection but cannot inject anything itself; and an answer speaks to
# its own user, where the threat head reads any second-person detail ("your son starts school on Monday",
# "your locker code is 4417", which is what memory answers say) as "I know where you live". Threats are
# abuse aimed at others: judged on what the user sends.
NOT_IN_OUTPUT = ("prompt_injection", "violent_threat")
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class CategoryPolicy:
    action: str
    severity: str


DEFAULT_CATEGORY_POLICIES: dict[str, CategoryPolicy] = {
    "hate": CategoryPolicy("block", "high"),
    "harassment": CategoryPolicy("block", "high"),
    "privacy": CategoryPolicy("block", "high"),
    "violent_threat": CategoryPolicy("block", "critical"),
    "violence": CategoryPolicy("block", "critical"),
    "weapons": CategoryPolicy("block", "critical"),
    "cbrn": CategoryPolicy("block", "critical"),
    "cyber": CategoryPolicy("block", "high"),
    "fraud": CategoryPolicy("block", "high"),
    "drugs": CategoryPolicy("block", "high"),
    "sexual_minors": CategoryPolicy("block", "critical"),
    "sexual": CategoryPolicy("block", "high"),
    "misinformation": CategoryPolicy("block", "medium"),
    "prompt_injection": CategoryPolicy("block", "medium"),
    "other_harm": CategoryPolicy("block", "medium"),
    CRISIS: CategoryPolicy("redirect_to_support", "high"),
    "pii": CategoryPolicy("warn", "low"),
}


@dataclass(frozen=True)
class PolicyConfig:
    """What each category does; thresholds apply to the model's probabilities (0..1)."""

    categories: dict[str, CategoryPolicy]
    block_threshold: float = 0.5
    review_threshold: float = 0.25
    crisis_threshold: float = 0.2
    redact_pii: bool = True
    # P(crisis) of the user's last messages read together that flags a crisis (services/abi/conversation.py).
    conversation_crisis_threshold: float = CONVERSATION_CRISIS_THRESHOLD
    # P(harm) of the user's last messages read together (without those harmful alone) that blocks; None: harm is
    # judged on the message alone (the default: services/abi/README.md, "Harmful requests spread over ...").
    conversation_harm_threshold: float | None = None

    @staticmethod
    def default(block: float = 0.5, review: float = 0.25, crisis: float = 0.2) -> PolicyConfig:
        return PolicyConfig(dict(DEFAULT_CATEGORY_POLICIES), block, min(review, block), crisis)


def may_stop_as_threat(scores: Scores, config: PolicyConfig) -> bool:
    """Whether an input message's reading could stop it (block or hold) as harm aimed at someone that a second
    reading may clear (THREAT_CATEGORIES): what the threat verifier reads, and the only stop its reading changes."""
    category = scores.harm_category
    return (
        category in THREAT_CATEGORIES
        and scores.harm_probability >= config.review_threshold
        and config.categories[category].action == "block"
    )


@dataclass(frozen=True)
class SecondReading:
    """The threat verifier's P(harm) for an input message, and its threshold under which it finds none."""

    harm: float
    threshold: float

    @property
    def clears(self) -> bool:
        return self.harm < self.threshold


@dataclass(frozen=True)
class SpanHit:
    start: int
    end: int
    category: str


@dataclass
class PolicyVerdict:
    action: str = "allow"
    severity: str = "none"
    categories: list[str] = field(default_factory=list)
    spans: list[SpanHit] = field(default_factory=list)
    redacted_text: str = ""
    reasons: list[str] = field(default_factory=list)
    # The model's evidence: P(harm), its most likely category, P(crisis).
    harm: float = 0.0
    harm_category: str = ""
    crisis_score: float = 0.0

    @property
    def blocked(self) -> bool:
        return self.action == "block"

    @property
    def crisis(self) -> bool:
        return CRISIS in self.categories

    def raise_to(self, action: str, severity: str) -> None:
        if ACTIONS.index(action) > ACTIONS.index(self.action):
            self.action = action
        if SEVERITIES.index(severity) > SEVERITIES.index(self.severity):
            self.severity = severity


class PolicyChecker:
    """Turns the model's scores into a verdict; the same checker runs on persona output."""

    def __init__(self, config: PolicyConfig) -> None:
        self.config = config

    def check(
        self,
        text: str,
        scores: Scores | None,
        *,
        output: bool = False,
        config: PolicyConfig | None = None,
        conversation_crisis: float | None = None,
        conversation_harm: Scores | None = None,
        second_reading: SecondReading | None = None,
    ) -> PolicyVerdict:
        """`scores` is None only when the model could not run (then only PII is checked). `conversation_crisis` is
        P(crisis) of the user's last messages read together and `conversation_harm` their scores read together
        without those harmful alone, when Route read them (services/abi/conversation.py). `second_reading` is the
        threat verifier's, when the message could be stopped as a threat (services/abi/verifier.py)."""
        config = config or self.config
        verdict = PolicyVerdict(redacted_text=text)
        if scores is not None:
            cleared = second_reading if second_reading is not None and second_reading.clears and not output else None
            self._apply_model(text, scores, verdict, config, output, conversation_crisis, cleared)
            if conversation_harm is not None and not output:
                self._apply_conversation_harm(conversation_harm, verdict, config)
        self._apply_pii(text, verdict, config)
        return verdict

    @staticmethod
    def _apply_model(
        text: str,
        scores: Scores,
        verdict: PolicyVerdict,
        config: PolicyConfig,
        output: bool,
        conversation_crisis: float | None,
        cleared: SecondReading | None = None,
    ) -> None:
        harm, category = scores.harm_probability, scores.harm_category
        if output:
            harm = 1.0 - scores.harm["none"] - sum(scores.harm[c] for c in NOT_IN_OUTPUT)
            category = max((c for c in HARM_CATEGORIES if c not in NOT_IN_OUTPUT), key=lambda c: scores.harm[c])
        verdict.harm, verdict.harm_category = round(harm, 4), category
        verdict.crisis_score = round(scores.crisis, 4)
        block_at = max(config.block_threshold, OUTPUT_BLOCK_FLOOR) if output else config.block_threshold
        alone = not output and scores.crisis >= config.crisis_threshold
        together = (
            not output
            and conversation_crisis is not None
            and conversation_crisis >= config.conversation_crisis_threshold
        )
        crisis = alone or together
        strength = max(scores.crisis, conversation_crisis or 0.0) if together else scores.crisis
        harmful = harm >= config.review_threshold
        crisis_first = crisis and (harm < block_at or category in SELF_DIRECTABLE or strength >= harm)
        if crisis:
            policy = config.categories[CRISIS]
            verdict.raise_to(policy.action, policy.severity)
            verdict.categories.append(CRISIS)
            verdict.crisis_score = round(strength, 4)
            signals = [f"crisis signals ({scores.crisis:.2f} >= {config.crisis_threshold:.2f})"] if alone else []
            if together:
                signals.append(
                    f"crisis signals in the user's last messages read together ({conversation_crisis:.2f} >= "
                    f"{config.conversation_crisis_threshold:.2f})"
                )
            verdict.reasons.append(f"{'; '.join(signals)}: support first, never blocked")
        if not harmful:
            return
        policy = config.categories[category]
        words = len(WORD.findall(text))
        if cleared is not None and may_stop_as_threat(scores, config):
            # The threat verifier found no harm: answered and flagged, never stopped on this reading alone. The harm
            # the decision acts on (its confidence, the moderator's score) is the verifier's.
            verdict.harm = round(cleared.harm, 4)
            verdict.raise_to("warn", "medium")
            verdict.reasons.append(
                f"possible {category.replace('_', ' ')} ({harm:.2f}); a second reading finds none "
                f"({cleared.harm:.2f} < {cleared.threshold:.2f})"
            )
            verdict.categories.append(category)
            verdict.spans.append(SpanHit(*scores.harm_span, category))
            return
        if harm >= block_at and policy.action == "block" and not crisis_first and words >= MIN_WORDS_TO_BLOCK:
            verdict.raise_to("block", policy.severity)
            verdict.reasons.append(f"{category.replace('_', ' ')} ({harm:.2f} >= {block_at:.2f})")
        else:
            if policy.action == "allow":
                return
            # Uncertain harm is flagged: answered (warn) or held for a person (critical), never silently blocked.
            escalation = "require_human_review" if policy.severity == "critical" or harm >= block_at else "warn"
            if crisis_first:
                escalation = "warn"
            verdict.raise_to(escalation if policy.action == "block" else policy.action, "medium")
            why = "too few words to block" if harm >= block_at and words < MIN_WORDS_TO_BLOCK else "uncertain"
            if crisis_first and harm >= block_at:
                why = "a crisis comes first"
            verdict.reasons.append(f"possible {category.replace('_', ' ')} ({harm:.2f}, {why})")
        verdict.categories.append(category)
        verdict.spans.append(SpanHit(*scores.harm_span, category))

    @staticmethod
    def _apply_conversation_harm(together: Scores, verdict: PolicyVerdict, config: PolicyConfig) -> None:
        """Block a request whose harm shows only in the user's last messages read together. A crisis comes first as
        for a single message: harm a person in crisis may ask about for themselves, or less sure than the crisis."""
        harm, category = together.harm_probability, together.harm_category
        policy = config.categories[category]
        threshold = config.conversation_harm_threshold
        if threshold is None or verdict.blocked or harm < threshold or policy.action != "block":
            return
        if verdict.crisis and (category in SELF_DIRECTABLE or verdict.crisis_score >= harm):
            return
        verdict.raise_to("block", policy.severity)
        verdict.harm, verdict.harm_category = round(harm, 4), category
        verdict.categories.append(category)
        verdict.reasons.append(
            f"{category.replace('_', ' ')} in the user's last messages read together ({harm:.2f} >= {threshold:.2f})"
        )

    @staticmethod
    def _apply_pii(text: str, verdict: PolicyVerdict, config: PolicyConfig) -> None:
        findings: list[PiiFinding] = find_pii(text)
        if not findings:
            return
        policy = config.categories["pii"]
        kinds = sorted({f.kind for f in findings})
        severity = "medium" if {"secret", "credit_card", "ssn", "iban"} & set(kinds) else policy.severity
        verdict.raise_to(policy.action, severity)
        verdict.categories.extend(f"pii.{kind}" for kind in kinds)
        verdict.spans.extend(SpanHit(f.start, f.end, f"pii.{f.kind}") for f in findings)
        verdict.reasons.append(
            f"personal data or secrets found ({', '.join(kinds)})" + ("; redacted" if config.redact_pii else "")
        )
        if config.redact_pii:
            verdict.redacted_text = redact(text, findings)
