"""Reading and writing a persona on a proto message: the registry name travels, the enum follows.

Every message that names a persona has an enum field `<field>` (the built-in three) and a string
`<field>_name` (any registry name). Writers set both; readers take the name and fall back to the enum
for clients that only know the enum. These four functions are the only code that touches the pair.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.common.registry import persona_enum, persona_label


def persona_of(message: Any, field: str = "persona") -> str:
    """The registry name `message` gives in `field` (and `field`_name); "" when it names none."""
    return persona_label(getattr(message, field), getattr(message, f"{field}_name"))


def set_persona(message: Any, name: str, field: str = "persona") -> None:
    """Name a persona in `message`: the registry name, and the enum value when it has one."""
    setattr(message, field, persona_enum(name))
    setattr(message, f"{field}_name", name)


def alternatives_of(decision: Any) -> list[str]:
    """A routing decision's fallback order by name (older senders filled only the enum list)."""
    if decision.alternative_names:
        return list(decision.alternative_names)
    return [name for name in (persona_label(value) for value in decision.alternatives) if name]


def set_alternatives(decision: Any, names: Iterable[str]) -> None:
    ordered = list(names)
    del decision.alternatives[:]
    del decision.alternative_names[:]
    decision.alternatives.extend(value for value in map(persona_enum, ordered) if value)
    decision.alternative_names.extend(ordered)
