"""Bard, a fourth persona that exists only in tests: a registry entry (personas.yaml here) plus this file.

It proves that a persona is data plus an implementation: nothing in the gateway, Abi or the index
names it. Bard answers every message with a three-line verse built from the message's own words,
through the same PersonaLogic contract (and so the same validation, privacy and streaming) as the
built-in personas. Run as `python -m tests.registry.bard` with PM_PORT and PM_PERSONA_REGISTRY.
"""

from __future__ import annotations

import re

from personamesh.v1 import persona_pb2, persona_service_pb2
from services.common.generation.grounding import IndexCaller
from services.common.persona import PersonaLogic, PersonaSettings, Plan, run_persona, step
from services.common.registry import persona_enum, persona_registry

NAME = "bard"
SIGNATURE = "-- sung by Bard"


def verse(text: str) -> str:
    """Three lines from the longest words of `text`, then the signature (deterministic, so tests can read it)."""
    words = sorted({w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}, key=lambda w: (-len(w), w))[:3]
    topic = words or ["silence"]
    return "\n".join(
        [f"Of {topic[0]} I sing,", f"of {' and '.join(topic[1:]) or 'all it brings'},", "and then I rest.", SIGNATURE]
    )


class BardLogic(PersonaLogic):
    name = NAME

    def __init__(self, settings: PersonaSettings, index: IndexCaller) -> None:
        self.settings = settings
        self.entry = persona_registry().entries[NAME]

    def info(self, backend_name: str) -> persona_service_pb2.PersonaInfo:
        return persona_service_pb2.PersonaInfo(
            persona=persona_enum(NAME),
            persona_name=NAME,
            name=self.entry.display_name,
            description=self.entry.description,
            strengths=["short verse"],
            temperature=self.entry.generation.temperature,
            backend=backend_name,
        )

    async def plan(self, request: persona_pb2.PersonaRequest) -> Plan:
        return Plan(
            system_prompt="You are Bard. Answer in three short lines of verse.",
            draft=verse(request.content),
            confidence=0.9,
            temperature=self.entry.generation.temperature,
            reasoning=[step("Sang of the message's longest words", 0.9)],
        )


if __name__ == "__main__":
    run_persona(NAME, PersonaSettings(), BardLogic)
