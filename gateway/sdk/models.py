"""Typed views of the gateway's answers. Each keeps the whole JSON in `raw`, so a field added later is not lost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RoutingDecision:
    """Abi's decision: who answers, how sure, what moderation did, and why."""

    persona: str
    confidence: float
    action: str
    categories: tuple[str, ...]
    crisis: bool
    query_type: str
    reasons: tuple[str, ...]
    matched_rules: tuple[str, ...]
    scores: dict[str, float]
    degraded: bool
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoutingDecision:
        moderation = data.get("moderation") or {}
        scores: dict[str, Any] = data.get("scores") or {}
        return cls(
            persona=str(data.get("persona", "")),
            confidence=float(data.get("confidence", 0.0)),
            action=str(moderation.get("action", "")),
            categories=tuple(moderation.get("categories", [])),
            crisis=bool(data.get("crisis", False)),
            query_type=str(data.get("query_type", "")),
            reasons=tuple(data.get("reasons", [])),
            matched_rules=tuple(data.get("matched_rules", [])),
            scores={str(k): float(v) for k, v in scores.items()},
            degraded=bool(data.get("degraded", False)),
            raw=data,
        )

    def explain(self) -> str:
        """A few lines a person can read: the destination, moderation, and the reasons Abi gave."""
        lines = [f"persona: {self.persona} (confidence {self.confidence:.2f})"]
        if self.scores:
            lines.append("scores: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(self.scores.items())))
        moderation = self.action or "allow"
        if self.categories:
            moderation += f" ({', '.join(self.categories)})"
        lines.append(f"moderation: {moderation}")
        if self.crisis:
            lines.append("crisis: yes, support first")
        if self.query_type:
            lines.append(f"query type: {self.query_type}")
        lines.extend(f"reason: {reason}" for reason in self.reasons)
        lines.extend(f"rule: {rule}" for rule in self.matched_rules)
        if self.degraded:
            lines.append("degraded: a dependency was down; less evidence was used")
        return "\n".join(lines)


@dataclass(frozen=True)
class ChatAnswer:
    """One answer: its text, who answered, and how (fallback, degraded, tone, references)."""

    request_id: str
    content: str
    persona: str
    confidence: float
    fallback: bool
    degraded: bool
    tone: str | None
    references: tuple[dict[str, Any], ...]
    code_blocks: tuple[dict[str, Any], ...]
    routing: RoutingDecision | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatAnswer:
        routing = data.get("routing")
        return cls(
            request_id=str(data.get("request_id", "")),
            content=str(data.get("content", "")),
            persona=str(data.get("persona", "")),
            confidence=float(data.get("confidence", 0.0)),
            fallback=bool(data.get("fallback", False)),
            degraded=bool(data.get("degraded", False)),
            tone=data.get("tone"),
            references=tuple(data.get("references", [])),
            code_blocks=tuple(data.get("code_blocks", [])),
            routing=RoutingDecision.from_json(routing) if routing else None,
            raw=data,
        )


@dataclass(frozen=True)
class Persona:
    """A persona the gateway serves and how many of its replicas are healthy."""

    name: str
    display_name: str
    description: str
    status: str
    replicas_healthy: int
    replicas_total: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Persona:
        return cls(
            name=str(data.get("name", "")),
            display_name=str(data.get("display_name", "")),
            description=str(data.get("description", "")),
            status=str(data.get("status", "")),
            replicas_healthy=int(data.get("replicas_healthy", 0)),
            replicas_total=int(data.get("replicas_total", 0)),
            raw=data,
        )
