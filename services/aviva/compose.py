"""Aviva's words: a direct draft per query type (composer) and the system prompt (model backends)."""

from __future__ import annotations

from dataclasses import dataclass

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.aviva.classifier import QueryClass
from services.aviva.code import CodeAnswer, pasted_code_findings
from services.common.generation.codeblocks import ExtractedBlock
from services.common.generation.grounding import best_sentences, prose_sentences

_NO_SOURCE = "I don't have a verified source for this in my knowledge base, so I won't guess."

_DEBUG_CHECKLIST = (
    "Checklist:\n"
    "1. Read the last line of the traceback first: it names the exception and the failing line.\n"
    "2. Reproduce it with the smallest input that still fails.\n"
    "3. Print or log the types and values reaching that line; most bugs are a wrong assumption there.\n"
    "4. Change one thing at a time and re-run."
)


@dataclass(frozen=True)
class AvivaMaterial:
    content: str
    query: QueryClass
    knowledge: list[index_pb2.KnowledgeHit]
    code: CodeAnswer | None
    sentences: int
    knowledge_available: bool
    tone_hint: str = ""
    pasted: tuple[ExtractedBlock, ...] = ()  # the question's own code blocks, checked by the parsers


def _sources_line(knowledge: list[index_pb2.KnowledgeHit]) -> str:
    titles: list[str] = []
    for hit in knowledge:
        title = hit.title or hit.source
        if title and title not in titles:
            titles.append(title)
    return "Sources: " + "; ".join(titles[:3]) + "." if titles else ""


def _facts(material: AvivaMaterial, limit: int) -> list[str]:
    return best_sentences(material.content, [hit.text for hit in material.knowledge], limit)


def own_sentences() -> set[str]:
    """Aviva's template sentences: her own advice, not claims for the fact checker."""
    return {sentence for sentence in prose_sentences(_DEBUG_CHECKLIST)}


def compose_draft(material: AvivaMaterial) -> str:
    """Answer first, then code, then sources; no greeting, no filler."""
    kind = material.query.query_type
    parts: list[str] = []
    used_knowledge = False
    if kind in ("code_request", "optimization") and material.code is not None:
        parts.extend(_code_parts(material))
        used_knowledge = not material.code.skeleton
    elif kind == "debugging":
        parts.extend(_debugging_parts(material))
        used_knowledge = any(part.startswith(("Likely cause", "```")) for part in parts)
    else:
        facts = _facts(material, material.sentences)
        parts.append(" ".join(facts) if facts else _no_source(material))
        used_knowledge = bool(facts)
    if used_knowledge:
        parts.append(_sources_line(material.knowledge))
    return "\n\n".join(part for part in parts if part)


def _no_source(material: AvivaMaterial) -> str:
    if not material.knowledge_available:
        return _NO_SOURCE + " (The knowledge base is unreachable right now; ask again shortly.)"
    return _NO_SOURCE + " Give me a more specific question or a document to work from."


def _code_parts(material: AvivaMaterial) -> list[str]:
    code = material.code
    assert code is not None
    if code.skeleton:
        lead = (
            f"This is a skeleton: I have no verified {code.language} example for this task, so fill in the marked body."
        )
    else:
        lead = f"Here is {_article(code.language)} {code.language} solution, from {code.source_title}:"
    label = f"{code.language} skeleton" if code.skeleton else code.language
    parts = [lead, f"```{label}\n{code.code}\n```"]
    if not code.skeleton:
        notes = _facts(material, 1)
        if notes:
            parts.append(notes[0])
    return parts


def _debugging_parts(material: AvivaMaterial) -> list[str]:
    parts: list[str] = []
    findings = pasted_code_findings(list(material.pasted))
    parts.extend(findings)
    facts = _facts(material, 2)
    if facts:
        parts.append("Likely cause: " + " ".join(facts))
    parts.append(_DEBUG_CHECKLIST)
    if material.code is not None and not material.code.skeleton:
        parts.append(f"```{material.code.language}\n{material.code.code}\n```")
    return parts


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def system_prompt(material: AvivaMaterial) -> str:
    """Aviva's instructions for a model: direct style, the query type, and the knowledge to stay within."""
    lines = [
        "You are Aviva, a direct expert assistant. Answer first, in as few words as the question allows.",
        "No greetings, no filler, no apologies. Use fenced code blocks with a language tag for any code,",
        "and make sure code is complete and syntactically valid.",
        f"The question is a {material.query.query_type.replace('_', ' ')}.",
    ]
    if material.tone_hint:
        lines.append(f"Tone hint from the router: {material.tone_hint}. Stay direct; adjust warmth, not length.")
    if material.knowledge:
        lines.append("Use only these sources for facts and cite them by title; say so if they do not answer it:")
        lines.extend(f"- [{hit.title or hit.source}] {' '.join(hit.text.split())[:800]}" for hit in material.knowledge)
    else:
        lines.append("No sources were found: if you are not certain, say you don't know.")
    return "\n".join(lines)
