"""Abbey's visible reasoning chain: at most `max_steps` steps, each with a calibrated confidence.

Steps are added in order of importance (safety first), so cutting the chain at
the limit drops the least important ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from personamesh.v1 import persona_pb2
from services.common.persona import step


@dataclass
class ReasoningChain:
    max_steps: int
    _steps: list[tuple[int, persona_pb2.ReasoningStep]] = field(default_factory=list)

    def add(self, description: str, confidence: float, priority: int) -> None:
        """Lower priority numbers are kept first when the chain is too long."""
        self._steps.append((priority, step(description, confidence)))

    def steps(self) -> list[persona_pb2.ReasoningStep]:
        indexed = list(enumerate(self._steps))
        kept = sorted(indexed, key=lambda item: (item[1][0], item[0]))[: self.max_steps]
        return [reasoning for _, (_, reasoning) in sorted(kept, key=lambda item: item[0])]


def render_text(steps: list[persona_pb2.ReasoningStep]) -> str:
    """The chain as numbered lines: '1. description (confidence 0.85)'."""
    return "\n".join(f"{i}. {s.description} (confidence {s.confidence:.2f})" for i, s in enumerate(steps, 1))


def render_mermaid(steps: list[persona_pb2.ReasoningStep]) -> str:
    """The chain as a Mermaid flowchart, one node per step, in order."""
    lines = ["flowchart TD"]
    for i, s in enumerate(steps, 1):
        label = s.description.replace('"', "'").replace("\n", " ")
        lines.append(f'    s{i}["{i}. {label}<br/>confidence {s.confidence:.2f}"]')
        if i > 1:
            lines.append(f"    s{i - 1} --> s{i}")
    return "\n".join(lines)
