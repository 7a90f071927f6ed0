"""A persona's answer to a calculation (services/common/calculation.py): its plan, and the check of its text."""

from __future__ import annotations

from services.common.calculation import Calculation
from services.common.persona.logic import Plan, Review, SystemPrompt, step


def calculation_plan(calculation: Calculation, persona: str, temperature: float) -> Plan:
    """A persona's answer to a calculation: the computed sentence as the draft, and a prompt that tells a model
    the result so it states it rather than recomputing it."""
    prompt = SystemPrompt()
    prompt.say(
        f"You are {persona}. The user asks for a calculation, which was computed exactly. State this result in one "
        "short sentence, as given; do not recompute it or add steps:"
    )
    prompt.quote(calculation.sentence)
    return Plan(
        system_prompt=prompt.text,
        draft=calculation.sentence,
        confidence=0.95,
        temperature=temperature,
        reasoning=[step(f"Calculated exactly (pint): {calculation.sentence}", 0.95)],
        notes={"sources": [], "calculation": calculation.sentence},
        quotable=prompt.quotable,
    )


def review_calculation(plan: Plan, text: str) -> Review | None:
    """For a calculated answer (None otherwise): whether the finished text still states the computed result (a model
    may have recomputed it), in place of a fact check against documentation, which has nothing to say about it."""
    sentence = plan.notes.get("calculation")
    if not sentence:
        return None
    # The number, not its unit's spelling: "2.54 centimetres" states "1 inch = 2.54 cm."
    result = str(sentence).rsplit("=" if "=" in sentence else " is ", 1)[-1].strip(" .").split()[0]
    if result in text:
        return Review(confidence=plan.confidence)
    return Review(
        confidence=0.3, extra_reasoning=[step(f"The answer does not state the computed result ({result})", 0.3)]
    )
