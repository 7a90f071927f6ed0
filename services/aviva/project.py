"""Is the question about persona-mesh itself? Only then are the project's own docs searched and cited."""

from __future__ import annotations

import re

from services.common.registry import persona_registry

_PROJECT = re.compile(
    r"\b(persona[- ]?mesh|this (project|mesh|service|assistant)|the mesh|your (api|gateway|router|config\w*))\b",
    re.IGNORECASE,
)


def about_project(question: str) -> bool:
    """True when the question names the project or one of its personas (from the registry) or its parts."""
    if _PROJECT.search(question):
        return True
    names = {name.lower() for name in persona_registry().entries}
    words = set(re.findall(r"[a-z]+", question.lower()))
    return bool(words & names)
