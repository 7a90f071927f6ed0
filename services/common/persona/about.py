"""What a persona of the mesh is, answered from the persona registry ("what is aviva?", "what can abi do?").

Those questions had got "No passage of the documentation I have answers this": the rerankers were fitted on questions
about Python and the command line, not on the project's own pages. The registry describes every persona and is the
one source of truth for them (services/common/registry/personas.yaml), so its description is the answer and the
plan's source for the fact check.
"""

from __future__ import annotations

import re
from functools import cache

from services.common.persona.logic import Plan, SystemPrompt, step
from services.common.registry import persona_registry
from services.common.registry.model import PersonaEntry

# The whole message asks about a persona: what or who it is, what it does or is for, who made it, "tell me about".
_FORMS = (
    r"(?:what|who)(?:'s| is|s) {name}",
    r"what (?:can|does|do) {name} do",
    r"what (?:is|'s) {name} (?:for|good at|good for)",
    r"what (?:kind of|sort of) (?:thing|things|questions|stuff) (?:can|does) {name} (?:do|answer|help with)",
    r"who (?:made|created|built|wrote|designed) {name}",
    r"tell me (?:more )?about {name}",
    r"(?:what'?s|what is) the difference between {name} and {name}",
)
_OPENER = r"^\s*(?:(?:hi|hey|hello|so|ok|okay)\W+)?"
_END = r"(?:\s+(?:in persona[- ]?mesh|here))?\s*[?.!]*\s*$"


@cache
def _pattern() -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in persona_registry().entries)
    name = rf"(?:{names})\b"
    return re.compile(rf"{_OPENER}(?:{'|'.join(form.format(name=name) for form in _FORMS)}){_END}", re.IGNORECASE)


def personas_asked_about(text: str) -> list[PersonaEntry]:
    """The registry entries a message asks about as a whole ("what is aviva?"), in the order named; [] otherwise."""
    if not _pattern().match(text):
        return []
    registry = persona_registry()
    named = [word for word in re.findall(r"[a-z]+", text.lower()) if word in registry.entries]
    return [registry.entries[name] for name in dict.fromkeys(named)]


_MADE = re.compile(r"\bwho (?:made|created|built|wrote|designed)\b", re.IGNORECASE)


def about_plan(entries: list[PersonaEntry], speaker: str, temperature: float, question: str = "") -> Plan:
    """The answer from the registry's descriptions ("That's me." before the speaker's own), and a prompt that gives a
    model backend the same descriptions to answer from. Asked who made one: the project, said first."""
    lines = [
        ("That's me. " if entry.name == speaker else "") + " ".join(entry.description.split()) for entry in entries
    ]
    if _MADE.search(question):
        names = " and ".join(entry.display_name for entry in entries)
        lines.insert(0, f"{names} is one of the personas of persona-mesh, an open-source multi-persona assistant.")
    lines.append(_how_they_work_together())
    prompt = SystemPrompt()
    prompt.say(
        f"You are {persona_registry().entries[speaker].display_name}, one of the personas of persona-mesh. The user "
        "asks about the mesh's personas. Answer briefly from these descriptions only:"
    )
    for line in lines:
        prompt.quote(line)
    return Plan(
        system_prompt=prompt.text,
        draft="\n\n".join(lines),
        confidence=0.9,
        temperature=temperature,
        reasoning=[step("About the mesh's personas: answered from the persona registry", 0.9)],
        notes={"sources": lines},
        quotable=prompt.quotable,
    )


def _how_they_work_together() -> str:
    registry = persona_registry()
    moderator = registry.entries[registry.moderator].display_name
    return (
        f"In persona-mesh, {moderator} reads every message first and sends it to the persona best placed to answer; "
        "you can also ask one of us by name."
    )
