"""What every persona shares, so a new persona is only its own logic (docs/personas.md).

One module per job: `settings` (what a persona process reads), `logic` (what a persona implements:
`PersonaLogic`, `Plan`, `Review`), `validation` (request checks), `privacy` (what the logic may see),
`servicer` (PersonaService around a logic: plan, generate, guard, finish) and `process` (the
persona's process on the shared service runtime).
"""

from services.common.persona.logic import PersonaLogic, Plan, Review, step
from services.common.persona.process import persona_spec, run_persona
from services.common.persona.servicer import SERVICE_NAME, PersonaServicer
from services.common.persona.settings import PersonaSettings

__all__ = [
    "SERVICE_NAME",
    "PersonaLogic",
    "PersonaServicer",
    "PersonaSettings",
    "Plan",
    "Review",
    "persona_spec",
    "run_persona",
    "step",
]
