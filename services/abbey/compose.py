"""Abbey's words: the deterministic draft (composer) and the system prompt (model backends)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.abbey.emotion import EmotionReading
from services.abbey.empathy import CRISIS_GUIDANCE, SUPPORT_RESOURCES
from services.abbey.memory import Recollection
from services.common import languages
from services.common.generation.codeblocks import extract_code_blocks
from services.common.generation.grounding import best_sentences

_GUIDANCE: dict[str, list[str]] = yaml.safe_load((Path(__file__).parent / "guidance.yaml").read_text(encoding="utf-8"))

_CODE_WORDS = re.compile(r"\b(code|function|script|program|snippet|example)\b", re.I)

# Feelings worth following up on when they come back from memory.
_HEAVY = frozenset({"sad", "anxious", "stressed", "frustrated", "disappointed"})

_CLOSINGS = {
    persona_pb2.TONE_SUPPORTIVE: "I'm here, and we can take this at whatever pace feels right for you.",
    persona_pb2.TONE_WARM: "I hope that helps; tell me how it lands for you.",
    persona_pb2.TONE_NEUTRAL: "Let me know if you'd like me to go deeper on any part.",
    persona_pb2.TONE_DIRECT: "Tell me if you want more detail on any part.",
    persona_pb2.TONE_FIRM: "Tell me if you want more detail on any part.",
}

_TONE_WORDS = {
    persona_pb2.TONE_SUPPORTIVE: "supportive and gentle",
    persona_pb2.TONE_WARM: "warm and friendly",
    persona_pb2.TONE_NEUTRAL: "calm and clear",
    persona_pb2.TONE_DIRECT: "warm but direct",
    persona_pb2.TONE_FIRM: "kind but firm",
}


@dataclass(frozen=True)
class AbbeyMaterial:
    """Everything Abbey gathered before answering."""

    content: str
    reading: EmotionReading
    acknowledgement: str
    tone: persona_pb2.Tone.ValueType
    support: bool
    technical: bool
    memories: list[Recollection]
    knowledge: list[index_pb2.KnowledgeHit]
    sentences_per_answer: int
    query_type: str = ""


def _quote(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def compose_draft(material: AbbeyMaterial) -> str:
    """Acknowledgement, memory, substance, support and a closing, as paragraphs."""
    paragraphs: list[str] = []
    if material.acknowledgement:
        paragraphs.append(material.acknowledgement)
    if material.memories:
        memory = material.memories[0]
        quoted = _quote(memory.user_message)
        if memory.emotion in _HEAVY and not material.reading.negative:
            follow_up = f"You were feeling {memory.emotion} then; I hope things feel a little lighter now."
        else:
            follow_up = "I'm keeping that in mind."
        paragraphs.append(f"I remember you mentioned before: “{quoted}”. {follow_up}")
    if material.support:
        paragraphs.extend((SUPPORT_RESOURCES, CRISIS_GUIDANCE))
    elif material.technical:
        paragraphs.append(_technical_body(material))
    else:
        paragraphs.extend(_GUIDANCE.get(material.reading.primary, _GUIDANCE["neutral"]))
    paragraphs.append(_CLOSINGS.get(material.tone, _CLOSINGS[persona_pb2.TONE_WARM]))
    return "\n\n".join(paragraphs)


def _technical_body(material: AbbeyMaterial) -> str:
    sentences = best_sentences(
        material.content, [hit.text for hit in material.knowledge], material.sentences_per_answer
    )
    if not sentences:
        return (
            "I don't have a trustworthy source on this to hand, so I won't guess. If you tell me a little more "
            "about what you're trying to do, we can work it out together step by step."
        )
    titles = []
    for hit in material.knowledge:
        title = hit.title or hit.source
        if title and title not in titles:
            titles.append(title)
    source = f" (from {', '.join(titles[:2])})" if titles else ""
    body = "Here's how I understand it" + source + ":\n\n" + " ".join(sentences)
    example = _example(material)
    return body + (f"\n\nHere's a small example from that source:\n\n{example}" if example else "")


def _asks_for_code(text: str) -> bool:
    """A code word ("snippet") or a language the mesh knows by name ("in Rust", "pandas")."""
    return bool(_CODE_WORDS.search(text) or languages.mentioned(text))


def _example(material: AbbeyMaterial) -> str:
    """The first valid fenced code block of the best knowledge hit, re-fenced, when the question is about code."""
    if material.query_type not in ("code_request", "debugging") and not _asks_for_code(material.content):
        return ""
    for hit in material.knowledge[:1]:
        for block in extract_code_blocks(hit.text):
            if block.valid:
                return f"```{block.language}\n{block.code}\n```"
    return ""


def system_prompt(material: AbbeyMaterial) -> str:
    """Abbey's instructions for a model: style, the user's state, memory and knowledge."""
    reading = material.reading
    lines = [
        "You are Abbey, an empathetic polymath assistant. You care about the person first and the problem second,",
        "and you know a lot about science, technology and everyday life.",
        f"Tone: {_TONE_WORDS.get(material.tone, 'warm and friendly')}.",
        f"The user seems {reading.primary} (intensity {reading.intensity:.2f}).",
        "Acknowledge their feelings briefly and sincerely before helping; never be saccharine.",
        "Reason step by step (at most five steps) but show only the helpful conclusions.",
    ]
    if material.support:
        lines.append("The message suggests risk of self-harm. Respond with compassion, encourage reaching out, and")
        lines.append(f"include these resources verbatim: {SUPPORT_RESOURCES}")
    if material.memories:
        lines.append("What you remember from earlier conversations with this user:")
        lines.extend(f"- They said: {_quote(m.user_message, 200)}" for m in material.memories)
    if material.knowledge:
        lines.append("Knowledge you may use (cite titles; do not invent facts beyond it):")
        lines.extend(f"- [{hit.title or hit.source}] {_quote(hit.text, 600)}" for hit in material.knowledge)
    return "\n".join(lines)
