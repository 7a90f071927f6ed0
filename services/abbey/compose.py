"""Abbey's words: the deterministic draft (composer) and the persona prompt (model backends)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.abbey.empathy import EmpathyPlan
from services.abbey.feeling_words import named_feelings
from services.abbey.language import Specifics, asks_for_something, asks_to_compose, speaks_of_a_death
from services.abbey.memory import Recollection
from services.common import languages
from services.common.generation.cautions import caution_for
from services.common.generation.grounding import best_sentences
from services.common.knowledge.passage import parsing_examples, read
from services.common.persona.logic import SystemPrompt
from services.common.safety import crisis
from services.common.safety.emergency import FIRST_STEPS, emergency_line
from services.common.safety.resources import Resources

_CODE_WORDS = re.compile(r"\b(code|function|script|program|snippet|example|command)\b", re.I)

_HOW_TO = re.compile(r"\b(how (do|can|should|would) (i|we|you)|how to|steps|walk me through)\b", re.I)
_TONE_WORDS = {
    persona_pb2.TONE_SUPPORTIVE: "supportive and gentle",
    persona_pb2.TONE_WARM: "warm and friendly",
    persona_pb2.TONE_NEUTRAL: "calm and clear, no forced sympathy",
    persona_pb2.TONE_DIRECT: "warm but direct",
    persona_pb2.TONE_FIRM: "kind but firm",
}
_PAINFUL = frozenset({"sad", "anxious", "stressed", "disappointed", "frustrated"})
_GLAD = frozenset({"happy", "excited", "grateful"})
STAYING = "I'm here with you. Tell me what is happening if it helps, and I'll stay with you while you wait."
# The care, and the promise of steps that follows it only when there are steps to give.
_CARE_LINES = (
    ("That sounds really stressful, {stakes}", "let's get it fixed step by step"),
    ("I'm sorry you're under this much pressure, {stakes}", "here is what to do first"),
)
_CONTRACTIONS = {"I'm": "I am", "you're": "you are", "it's": "it is", "that's": "that is", "don't": "do not",
                 "can't": "cannot", "won't": "will not", "I'd": "I would", "you've": "you have", "let's": "let us",
                 "I'll": "I will", "isn't": "is not", "doesn't": "does not", "you'd": "you would"}  # fmt: skip


@dataclass(frozen=True)
class AbbeyMaterial:
    """Everything Abbey gathered before answering."""

    content: str
    emotion: str
    intensity: float
    trend: str
    tone: persona_pb2.Tone.ValueType
    crisis_kind: str  # "" when not a crisis
    crisis_paragraphs: list[str]
    resources: Resources | None
    emergency: str  # the kind of emergency happening now (services/common/safety/emergency.py), "" for none
    crisis_lines: bool  # Abi flagged a crisis too: the crisis lines follow the emergency number
    empathy: EmpathyPlan | None
    specifics: Specifics
    technical: bool
    distressed: bool
    memories: list[Recollection]
    memory_answer: str
    preferences: dict[str, str]
    knowledge: list[index_pb2.KnowledgeHit]  # the passages that answer, the one to answer from first
    sentences_per_answer: int
    query_type: str = ""
    used: set[str] = field(default_factory=set)
    small_talk: str = (
        ""  # the reply to a greeting, a farewell, "how are you?" ... (services/common/persona/small_talk.py)
    )
    small_talk_kind: str = ""  # its kind, said in the reasoning
    introduced: str = ""  # the name the person just told ("hi, I'm Priya")
    introduced_only: bool = False  # and told nothing else about themselves
    promise: str = ""  # a preference told: "Got it: I'll keep my answers short."
    kept: str = ""  # a fact told, said back ("you're allergic to peanuts"), for a message with nothing else to answer
    remembers: bool = False  # there is a user to remember it for
    follow_up: bool = False  # the message continues the conversation (an earlier message, no change of subject)
    closest: list[index_pb2.KnowledgeHit] = field(default_factory=list)  # when none answers: the nearest passages


def compose_draft(material: AbbeyMaterial) -> str:
    """Crisis first; otherwise care, memory, substance, as paragraphs."""
    if material.crisis_kind == crisis.CHECK and material.technical:
        # A weak flag on a question that needs steps: the steps answer what was said, then the gentle check.
        return "\n\n".join([_technical_body(material), *material.crisis_paragraphs])
    if material.crisis_kind:
        return "\n\n".join(material.crisis_paragraphs)
    if material.emergency and material.resources is not None:
        return "\n\n".join(_emergency_paragraphs(material, material.resources))
    if material.small_talk:
        return material.small_talk
    paragraphs: list[str] = []
    if material.technical:
        body = _technical_body(material)
        if material.distressed:
            paragraphs.append(care_line(material, with_steps=not body.startswith(NO_SOURCE)))
        paragraphs.append(body)
    elif material.introduced_only:
        # Only a name told ("hi, I'm Priya"): greeted by it, not the name said back ("I appreciate you telling me").
        paragraphs += [f"Nice to meet you, {material.introduced}.", AFTER_INTRODUCTION]
    else:
        if material.introduced:
            paragraphs.append(f"Nice to meet you, {material.introduced}.")
        if material.memory_answer:
            paragraphs.append(material.memory_answer)
        if material.promise:
            paragraphs.append(material.promise)
        if material.empathy and material.empathy.sentences:
            paragraphs.append(" ".join(material.empathy.sentences))
        recalled = _recalled_line(material)
        if recalled:
            paragraphs.append(recalled)
        if not paragraphs and material.kept:
            # "I'm allergic to peanuts, by the way" had got "Tell me a bit more": say it was heard, and kept.
            kept = material.kept
            remembered = f"Thanks for telling me: I'll remember that {kept}."
            paragraphs.append(remembered if material.remembers else f"Thanks for telling me that {kept}.")
        if not paragraphs:
            paragraphs.append(nothing_to_compose(material.content, follow_up=material.follow_up))
    text = "\n\n".join(paragraphs)
    if material.preferences.get("formality") == "formal":
        text = formal(text)
    return text


# A clear request the composer has no material for ("Plan a three-day itinerary for Lisbon"): asking the person
# to say more, as for a message with nothing to take up, promised help she cannot give.
CANNOT_WRITE = (
    "I can't put that together for you right now: without a language model to write with, I can only answer from "
    "what you tell me and from the documentation I hold, and neither covers this."
)
SAY_MORE = "Tell me a bit more about what you have in mind, and I'll help however I can."
# A follow-up in a conversation with nothing of hers to take up ("he's very shy" after telling of a rescue dog): an
# offer of help nobody asked for would break the thread.
LISTENING = "I'm listening; say more if you'd like."
AFTER_INTRODUCTION = "What's on your mind today?"
# A technical ask no documentation she holds answers. It had gone on "If you tell me a little more about what
# you're trying to do, we can work it out together step by step", a promise the composer cannot keep.
NO_SOURCE = "I don't have a trustworthy source on this to hand, so I won't guess."


def nothing_to_compose(content: str, *, follow_up: bool = False) -> str:
    """What the composer says when no care, memory or knowledge applies: plainly that it cannot write what was
    asked for, or, for a message that asks nothing, an invitation to say more (in a conversation, that she is
    listening)."""
    if asks_for_something(content):
        return CANNOT_WRITE
    return LISTENING if follow_up else SAY_MORE


def _emergency_paragraphs(material: AbbeyMaterial, resources: Resources) -> list[str]:
    """An emergency happening now: the number, one first step, the crisis lines when Abi flagged a crisis too,
    and presence; no empathy moves ("would it help to talk about ...") and no documentation."""
    paragraphs = [emergency_line(resources.emergency), FIRST_STEPS[material.emergency]]
    if material.crisis_lines:
        paragraphs.append(resources.lines_sentence())
    return [*paragraphs, STAYING]


def care_line(material: AbbeyMaterial, *, with_steps: bool = True) -> str:
    """One short line of care before the technical steps, naming what is at stake when known; it promises steps
    only when there are steps to give (before "I don't have a trustworthy source" it had said "here is what to do
    first")."""
    specifics = material.specifics
    if speaks_of_a_death(material.content):
        # Stress wording ("under this much pressure, with this going wrong") after a death read as indifference.
        return "I'm so sorry for your loss" + ("; here is what I can tell you." if with_steps else ".")
    stakes = f"with {specifics.people[0]} involved" if specifics.people else "with this going wrong"
    if _says_what_happened(specifics.event):
        stakes = f"when {specifics.event}"

    def said(index: int) -> str:
        care, promise = _CARE_LINES[index % len(_CARE_LINES)]
        return (f"{care}; {promise}." if with_steps else f"{care}.").format(stakes=stakes)

    index = sum(map(ord, material.content))
    return said(index + 1) if said(index) in material.used else said(index)


# A clause that begins with its subject: "your manager is furious", "you accidentally committed ...", "S3 bucket
# returns Access Denied"; not "sorry if this is dumb".
_SUBJECT_FIRST = re.compile(r"^(?:you\b|your\b|the\b|a\b|an\b|this\b|that\b|it\b|[A-Z0-9])")
# How the writer feels or is ("you feel so stupid", "you're so tired"): the feeling the line answers, not the stakes.
_HOW_YOU_ARE = re.compile(r"^you(?:'re| are| feel| felt)\b", re.I)


def _says_what_happened(event: str) -> bool:
    """An event worth saying back after "when": short, its subject first, not how the writer feels."""
    return (
        bool(event)
        and len(event.split()) <= 10
        and bool(_SUBJECT_FIRST.match(event))
        and not _HOW_YOU_ARE.match(event)
        and not (event.startswith("you ") and named_feelings(event))
    )


def _recalled_line(material: AbbeyMaterial) -> str:
    """One fact from earlier conversations that bears on this message, said back (not quoted)."""
    if material.memory_answer or not material.memories:
        return ""
    fact = material.memories[0].fact
    heavy = fact.weight >= 0.5 and fact.emotion in _PAINFUL
    if heavy and material.emotion in _GLAD:
        return ""  # good news is not the moment to bring up a loss ("I passed my exams!" -> "your grandad passed")
    line = f"I remember you told me that {fact.text}."
    if heavy:
        line += " I've been keeping that in mind; how are you doing with it now?"
    return line if line not in material.used else ""


def _technical_body(material: AbbeyMaterial) -> str:
    """The steps from the passage the rerankers found answering (`material.knowledge`, best first): its call,
    command or option, its sentences that bear most on the message, an example for a code question, its source."""
    if not material.knowledge:
        # "can you help me write a thank-you note" had got "I don't have a trustworthy source on this".
        if asks_to_compose(material.content):
            return CANNOT_WRITE
        nearest = "\n".join(f"- {hit.title}" + (f" ({hit.url})" if hit.url else "") for hit in material.closest)
        return NO_SOURCE + (f"\n\nThe closest pages I have:\n{nearest}" if nearest else "")
    limit = material.sentences_per_answer
    if material.preferences.get("brevity") == "short":
        limit = max(1, limit - 2)
    top = material.knowledge[0]
    # The rerankers chose this passage as the answer: its sentences count even when they share no word with the
    # message ("lost my work" is answered by a sentence about the reflog).
    sentences = best_sentences(material.content, [top.text], limit, min_overlap=0)
    passage = read(top)
    lead = passage.lead_for(material.content)
    source = top.title or top.source
    reference = f"\n\nSource: {source}" + (f" ({top.url})" if top.url else "")
    example = _example(material)
    # The title ends in the lead ("... > OPTIONS: `-k, --keep-old-files`"): it is named once, in the source line.
    parts = [lead] if lead else []
    if _HOW_TO.search(material.content) and sentences:
        opening = "Here are the steps from the documentation:"
        parts.append("\n".join(f"{i}. {sentence}" for i, sentence in enumerate(sentences, 1)))
    else:
        opening = "Here's what the documentation says:"
        parts += [" ".join(sentences)] if sentences else []
    if example:
        parts.append(f"For example:\n\n{example}")
    caution = caution_for("\n".join([lead, example]))
    if caution:
        parts.append(caution)
    return "\n\n".join([opening, *parts]) + reference


def _asks_for_code(text: str) -> bool:
    """A code word ("snippet") or a language the mesh knows by name ("in Rust", "pandas")."""
    return bool(_CODE_WORDS.search(text) or languages.mentioned(text))


def _example(material: AbbeyMaterial) -> str:
    """The answering passage's first code sample that parses, cut short as Aviva shows it, when the question is
    about code."""
    if material.query_type not in ("code_request", "debugging") and not _asks_for_code(material.content):
        return ""
    examples = parsing_examples(read(material.knowledge[0])) if material.knowledge else ()
    if not examples:
        return ""
    _, (language, code) = examples[0]
    return f"```{language}\n{code}\n```"


def formal(text: str) -> str:
    """Learned preference: no contractions, no exclamation marks."""
    for short, full in _CONTRACTIONS.items():
        text = re.sub(rf"\b{re.escape(short)}\b", full, text)
        text = re.sub(rf"\b{re.escape(short.capitalize())}\b", full.capitalize(), text)
    return text.replace("!", ".")


def system_prompt(material: AbbeyMaterial) -> SystemPrompt:
    """The persona prompt: system, tone, crisis rules, empathy plan, recalled facts, retrieved knowledge."""
    prompt = SystemPrompt()
    prompt.say(
        "You are Abbey, an empathetic polymath assistant. You care about the person first and the problem second,",
        "and you know a lot about science, technology and everyday life.",
        f"Tone: {_TONE_WORDS.get(material.tone, 'warm and friendly')}.",
    )
    if material.crisis_kind and material.resources is not None:
        crisis.say_crisis_rules(prompt, material.crisis_kind, material.resources, material.crisis_paragraphs)
        if material.crisis_kind == crisis.CHECK and material.technical and material.knowledge:
            prompt.say("Before the gentle question, answer their technical question from this knowledge (cite titles):")
            prompt.quote(*_knowledge_lines(material))
        return prompt
    if material.emergency and material.resources is not None:
        prompt.say(
            f"This may be an emergency happening now ({material.emergency.replace('_', ' ')}). Say this first, "
            f"in these words: {emergency_line(material.resources.emergency)} Then stay calm, brief and practical."
        )
    if material.small_talk:
        prompt.say("The message is small talk: answer in kind, in a sentence or two, warmly. For example:")
        prompt.quote(material.small_talk)
        return prompt
    prompt.say(
        f"The user seems {material.emotion} (intensity {material.intensity:.2f}, trend over this conversation: "
        f"{material.trend})."
    )
    if material.empathy and material.empathy.moves and material.emotion != "neutral":
        prompt.say(
            "Empathy plan, in order: "
            + ", ".join(m.replace("_", " ") for m in material.empathy.moves)
            + ". Name what they told you specifically; never be saccharine; do not repeat earlier sentences."
        )
    elif material.emotion == "neutral":
        prompt.say("The message is neutral: answer plainly, with no forced sympathy.")
    if material.introduced:
        prompt.say(f"They just told you their name, {material.introduced}: greet them by it.")
    specifics = material.specifics
    if specifics.event or specifics.people or specifics.pets:
        named = [specifics.event, *specifics.people, *(f"{k} {n}".strip() for k, n in specifics.pets)]
        prompt.say("What they said, to acknowledge by name: " + "; ".join(x for x in named if x) + ".")
    if material.technical and material.distressed:
        prompt.say("They are distressed AND need technical help: one short line of care, then the concrete steps.")
    if material.preferences:
        prefs = ", ".join(f"{k}: {v}" for k, v in sorted(material.preferences.items()))
        prompt.say(f"Their stated preferences (follow them): {prefs}.")
    if material.memory_answer:
        prompt.say("They asked about something they told you; answer from memory:")
        prompt.quote(material.memory_answer)
    if material.memories:
        prompt.say("Facts this user told you in earlier conversations (use when relevant, do not quote verbatim):")
        prompt.quote(*(f"- {m.fact.text}" for m in material.memories))
    if material.knowledge:
        prompt.say("Knowledge you may use (cite titles; do not invent facts beyond it):")
        prompt.quote(*_knowledge_lines(material))
    prompt.say("Reason step by step (at most five steps) but show only the helpful conclusions.")
    return prompt


def _knowledge_lines(material: AbbeyMaterial) -> list[str]:
    """The retrieved passages as the prompt quotes them: title, then the passage cut to 600 characters."""
    return [f"- [{hit.title or hit.source}] {_quote(hit.text, 600)}" for hit in material.knowledge]


def _quote(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0] + "…"
