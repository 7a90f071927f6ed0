"""PolicyChecker: the moderation verdict for user input or persona output.

Evidence per category is the larger of the learned route head's probability
(when a vector is available) and the lexical cue strength. Each category has a
configured action and severity; PII is found and redacted separately. The
verdict's action is the most severe one triggered:
block > require_human_review > redirect_to_support > warn > allow. Self-harm is
never blocked: it redirects to support (abbey with resources).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.abi.lexicon import LexicalHit, has_document_context, lexical_hits
from services.abi.pii import PiiFinding, find_pii, redact

ACTIONS = ("allow", "warn", "redirect_to_support", "require_human_review", "block")
SEVERITIES = ("none", "low", "medium", "high", "critical")
HARM_CATEGORIES = ("hate", "violent_threat", "dangerous", "prompt_injection", "sexual_minors")
CATEGORIES = (*HARM_CATEGORIES, "self_harm", "pii")


@dataclass(frozen=True)
class CategoryPolicy:
    action: str
    severity: str


@dataclass(frozen=True)
class PolicyConfig:
    """What each category does; thresholds apply to the category's evidence (0..1)."""

    categories: dict[str, CategoryPolicy]
    block_threshold: float = 0.4
    review_threshold: float = 0.25
    self_harm_threshold: float = 0.3
    redact_pii: bool = True

    @staticmethod
    def default(block_threshold: float = 0.4, self_harm_threshold: float = 0.3) -> PolicyConfig:
        return PolicyConfig(
            {
                "hate": CategoryPolicy("block", "high"),
                "violent_threat": CategoryPolicy("block", "critical"),
                "dangerous": CategoryPolicy("block", "critical"),
                "prompt_injection": CategoryPolicy("block", "medium"),
                "sexual_minors": CategoryPolicy("block", "critical"),
                "self_harm": CategoryPolicy("redirect_to_support", "high"),
                "pii": CategoryPolicy("warn", "low"),
            },
            block_threshold=block_threshold,
            review_threshold=min(block_threshold, 0.25),
            self_harm_threshold=self_harm_threshold,
        )


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
    # Evidence per category (0..1), for routing and for the record.
    evidence: dict[str, float] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        return self.action == "block"

    @property
    def redirect(self) -> bool:
        return self.action == "redirect_to_support"

    def raise_to(self, action: str, severity: str) -> None:
        if ACTIONS.index(action) > ACTIONS.index(self.action):
            self.action = action
        if SEVERITIES.index(severity) > SEVERITIES.index(self.severity):
            self.severity = severity


class PolicyChecker:
    """Checks text against the configured policies; the same checker runs on persona output."""

    def __init__(self, config: PolicyConfig) -> None:
        self.config = config

    def check(
        self,
        text: str,
        head_probabilities: dict[str, float] | None = None,
        *,
        output: bool = False,
        config: PolicyConfig | None = None,
    ) -> PolicyVerdict:
        """`head_probabilities`: route-head class -> probability, or None when no vector was available."""
        config = config or self.config
        verdict = PolicyVerdict(redacted_text=text)
        hits = lexical_hits(text)
        evidence = self._evidence(hits, head_probabilities)
        verdict.evidence = {k: round(v, 4) for k, v in evidence.items()}
        # Output may quote injections or discuss self-harm resources; it is checked for harm and PII only.
        checked = [c for c in HARM_CATEGORIES if not (output and c == "prompt_injection")]
        # The block threshold was tuned on the head's total harm probability, so the total is the evidence
        # that something is harmful; the strongest category says what kind of harm it is.
        head_total = sum(float((head_probabilities or {}).get(c, 0.0)) for c in checked)
        harm = max(head_total, *(evidence[c] for c in checked))
        strongest = max(checked, key=lambda c: evidence[c])
        self_harm = not output and evidence["self_harm"] >= config.self_harm_threshold
        # Someone in crisis is never blocked: when self-harm is the strongest signal, harm cues only warn.
        self_harm_first = self_harm and evidence["self_harm"] >= evidence[strongest]
        for category in checked:
            score = harm if category == strongest else evidence[category]
            policy = config.categories[category]
            if score >= config.block_threshold:
                action = "warn" if self_harm_first and policy.action == "block" else policy.action
                verdict.raise_to(action, policy.severity)
            elif score >= config.review_threshold and category == strongest:
                escalation = "require_human_review" if policy.severity == "critical" else "warn"
                if self_harm_first:
                    escalation = "warn"
                verdict.raise_to(escalation if policy.action == "block" else policy.action, "medium")
            else:
                continue
            verdict.categories.append(category)
            verdict.reasons.append(self._reason(category, score, hits, text))
        if self_harm:
            policy = config.categories["self_harm"]
            verdict.raise_to(policy.action, policy.severity)
            verdict.categories.append("self_harm")
            verdict.reasons.append(f"self-harm signals ({evidence['self_harm']:.2f}): routed to support, never blocked")
        for hit in hits:
            if hit.category in verdict.categories and hit.strength >= 0.5:
                verdict.spans.append(SpanHit(hit.start, hit.end, hit.category))
        self._apply_pii(text, verdict, config)
        return verdict

    @staticmethod
    def _evidence(hits: list[LexicalHit], head: dict[str, float] | None) -> dict[str, float]:
        evidence = {c: 0.0 for c in (*HARM_CATEGORIES, "self_harm")}
        if head:
            for category in evidence:
                evidence[category] = float(head.get(category, 0.0))
        for hit in hits:
            evidence[hit.category] = max(evidence[hit.category], hit.strength)
        return evidence

    @staticmethod
    def _reason(category: str, score: float, hits: list[LexicalHit], text: str) -> str:
        cue = next((h for h in hits if h.category == category and h.strength >= 0.5), None)
        where = f" at '{text[cue.start : cue.end][:60]}'" if cue else ""
        if category == "prompt_injection" and has_document_context(text):
            return f"prompt injection hidden in pasted content ({score:.2f}){where}"
        return f"{category.replace('_', ' ')} ({score:.2f}){where}"

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
