"""Aviva's words: a direct draft per query type (composer) and the system prompt (model backends)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from services.aviva.care import own_lines
from services.aviva.classifier import QueryClass
from services.aviva.code import CodeAnswer, pasted_code_findings
from services.common import languages
from services.common.generation.cautions import caution_for, caution_sentences
from services.common.generation.codeblocks import ExtractedBlock
from services.common.generation.grounding import best_sentences, content_words, prose_sentences
from services.common.knowledge.answer import answer_of, distinct
from services.common.knowledge.passage import Passage, parsing_examples
from services.common.knowledge.rerank import Ranked
from services.common.persona.logic import SystemPrompt

NO_SOURCE = "I don't have a verified source for this in my knowledge base, so I won't guess."
NO_PASSAGE = "No passage of the documentation I have answers this, so I won't guess."
NO_DEBUG_PASSAGE = "No passage of the documentation I have explains this error, so here are general steps instead."

_DEBUG_CHECKLIST = (
    "Checklist:\n"
    "1. Read the last line of the traceback first: it names the exception and the failing line.\n"
    "2. Reproduce it with the smallest input that still fails.\n"
    "3. Print or log the types and values reaching that line; most bugs are a wrong assumption there.\n"
    "4. Change one thing at a time and re-run."
)


# Heads the other passages that also answer, after the answer's own citation.
SEE_ALSO = "See also:"


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
    ranked: tuple[Ranked, ...] = ()  # the knowledge reranked for this question, best first
    answer_threshold: float = 0.5  # confidence the best passage needs to answer from it (below: closest references)
    care: str = ""  # one short line before the answer when the router read distress (services/aviva/care.py)

    @cached_property
    def answering(self) -> list[Ranked]:
        """The passages confident enough to answer from, best first; none for a question about a language no page
        is written for (a JavaScript loop had been answered from asyncio's page)."""
        if undocumented_language(self.asked_language):
            return []
        return [r for r in self.ranked if r.confidence >= self.answer_threshold]

    @cached_property
    def asked_language(self) -> str:
        """The language the question asks its code in, "" for none (`languages.named_for_code`)."""
        return languages.named_for_code(self.content)

    @cached_property
    def answer(self) -> Ranked | None:
        """The passage to answer from (`answer_of`, as Abbey's steps choose it). Found once per answer: every part
        of the composition asks for it."""
        return answer_of(self.content, self.answering)


def _code_source(material: AvivaMaterial) -> Ranked | None:
    """The passage the answer's code was taken from."""
    code = material.code
    if code is None or code.skeleton:
        return None
    return next((r for r in material.ranked if r.passage.hit.text == code.source_text), None)


def _sources_line(material: AvivaMaterial) -> str:
    """Where the code and sentences came from, with links: the code's own passage first, then the other passages
    confident enough to answer (at most three in all)."""
    first = _code_source(material)
    cited = distinct(([first] if first is not None else []) + material.answering)[:3]
    if not cited:
        return ""
    label = "Source" if len(cited) == 1 else "Sources"
    return f"{label}: " + "; ".join(r.passage.citation for r in cited)


def _facts(material: AvivaMaterial, limit: int) -> list[str]:
    """The sentences of the passages confident enough to answer that share most words with the question. Only
    those: a "Likely cause" for `ModuleNotFoundError` read off whichever passage shares a word (pdb's "scripts")
    is a wrong answer, where the checklist alone is an honest one."""
    commands = frozenset().union(*(r.passage.commands for r in material.answering))
    return best_sentences(material.content, [r.passage.hit.text for r in material.answering], limit, commands=commands)


def own_sentences() -> set[str]:
    """Aviva's template sentences: her own advice, not claims for the fact checker."""
    return (
        set(prose_sentences(_DEBUG_CHECKLIST))
        | set(prose_sentences(NO_DEBUG_PASSAGE))
        | own_lines()
        | caution_sentences()
    )


def compose_draft(material: AvivaMaterial) -> str:
    """Answer first, then code, then sources; no greeting, no filler (a line of care first when distress was read)."""
    draft = _draft(material)
    return f"{material.care}\n\n{draft}" if material.care else draft


def _draft(material: AvivaMaterial) -> str:
    kind = material.query.query_type
    parts: list[str] = []
    used_knowledge = False
    if kind in ("code_request", "optimization") and material.code is not None and not _documented(material):
        parts.extend(_code_parts(material))
        used_knowledge = not material.code.skeleton
        if material.code.skeleton and material.ranked:
            parts.append(_closest(material))
    elif kind == "debugging" and material.answer is not None:
        # A passage answers the problem (`scp -P` for "scp ignores my port"): its answer, after what the parsers say
        # of pasted code; the traceback checklist is for problems no passage explains.
        return "\n\n".join([*pasted_code_findings(list(material.pasted)), *_docs_parts(material)])
    elif kind == "debugging":
        parts.extend(_debugging_parts(material))
        used_knowledge = any(part.startswith(("Likely cause", "```")) for part in parts)
    else:
        return "\n\n".join(_docs_parts(material))
    if used_knowledge:
        parts.append(_sources_line(material))
    return "\n\n".join(part for part in parts if part)


def _documented(material: AvivaMaterial) -> bool:
    """A code request the documentation answers as it is: the best passage answers confidently, and the question
    asks for no language or its page is in the asked one (Python's pages for Python, a man page for the shell). Code
    lifted from a lower passage that merely shares words (`astimezone`'s reference implementation for "the current
    time in UTC") or a skeleton is worse than the documented call with its own example. A passage of prose with
    neither a call nor an example to show leaves the code to the others."""
    best = material.answer
    if best is None or material.code is None:
        return False
    if _docs_answer_in(material) or _command_answers(material):
        return True
    if not best.passage.lead_line and not parsing_examples(best.passage):
        return False
    asked = material.asked_language  # "from the command line" names a place, not a language
    if not asked:
        return True
    return (best.passage.python and asked == "python") or (best.passage.man and asked == "bash")


def _command_answers(material: AvivaMaterial) -> bool:
    """A "code" question about a command-line tool ("undo my last git commit") that a man page answers, in no
    named language or asked of the shell ("... from the terminal"): the documented command is the answer, not a
    skeleton."""
    best = material.answer
    return (
        best is not None
        and best.passage.man
        and material.code is not None
        and material.code.skeleton
        and material.asked_language in ("", "bash")
    )


def _docs_answer_in(material: AvivaMaterial) -> bool:
    """A code request the documentation answers with an example in the asked language."""
    best = material.answer
    if best is None or material.code is None:
        return False
    return any(language == material.code.language for _, (language, _) in parsing_examples(best.passage))


def _docs_parts(material: AvivaMaterial) -> list[str]:
    """Lead with the call or command, then a minimal example from the docs, a sentence or two, the citation."""
    best = material.answer
    if best is None:
        if not material.knowledge_available:
            return [NO_SOURCE + " (The knowledge base is unreachable right now; ask again shortly.)"]
        if not material.ranked:
            return [NO_SOURCE + " Give me a more specific question or a document to work from."]
        return [NO_PASSAGE, _closest(material)]
    passage = best.passage
    parts: list[str] = []
    lead = passage.lead_for(material.content)
    if lead:
        parts.append(lead)
    sentences = best_sentences(material.content, [passage.hit.text], material.sentences, commands=passage.commands)
    example = _example_for(passage, material.content, sentences)
    if example is not None and example[1].strip() != passage.lead:
        parts.append(f"```{example[0]}\n{example[1]}\n```")
    if sentences:
        parts.append(" ".join(sentences))
    caution = caution_for("\n".join([lead, example[1] if example else ""]))
    if caution:
        parts.append(caution)
    parts.append(f"Source: {passage.citation}")
    also = [
        f"- {r.passage.lead_line}: {r.passage.citation}"
        for r in distinct(list(material.ranked[:6]))
        if r.passage.lead and r.passage.lead != passage.lead and r.passage.citation != passage.citation
    ][:3]
    if also:
        parts.append(f"{SEE_ALSO}\n" + "\n".join(also))
    return parts


def _example_for(passage: Passage, question: str, sentences: list[str]) -> tuple[str, str] | None:
    """The passage's code sample to show (cut short, one that parses): the first after the sentence the answer
    quotes, since documentation shows a sample right after the prose it illustrates (a tutorial section's first
    sample, `reprlib.repr`, is not the one its `pprint` sentence is about); without a quoted sentence before any,
    the one sharing the most words with the question (the first on ties)."""
    valid = parsing_examples(passage)
    if not valid:
        return None
    text = " ".join(passage.hit.text.split())
    quoted = text.find(" ".join(sentences[0].split())) if sentences else -1
    after = [example for where, example in valid if quoted >= 0 and where > quoted]
    if after:
        return after[0]
    asked = content_words(question)
    return max((example for _, example in valid), key=lambda example: len(asked & content_words(example[1])))


# The languages the built-in documentation is written for: Python's pages, and the man pages for the shell.
_DOCUMENTED_LANGUAGES = frozenset({"python", "bash"})


def undocumented_language(asked: str) -> bool:
    """`asked` (`languages.named_for_code` of a question) is a language no page of the documentation is written for
    ("from the terminal" names the shell's place, which the man pages document)."""
    return asked not in ("", *_DOCUMENTED_LANGUAGES)


def closest(material: AvivaMaterial) -> list[Ranked]:
    """The closest passages when none answers (at most three, one per citation); none for a question asking its
    code in a language the documentation does not cover: its closest pages do not serve it (a Go question's had
    been sed(1), gitignore(5) and head(1); a JavaScript one's, Python's)."""
    return [] if undocumented_language(material.asked_language) else distinct(list(material.ranked))[:3]


def references(material: AvivaMaterial) -> list[Ranked]:
    """What the answer cites: the passages good enough to answer (at most 4, one per citation), else the closest
    three; none beside a skeleton in a language the documentation does not cover (its confident passages are the
    shell's or Python's, which the draft does not use)."""
    if undocumented_language(material.asked_language) and material.code is not None and material.code.skeleton:
        return []
    return distinct(material.answering)[:4] or closest(material)


def _closest(material: AvivaMaterial) -> str:
    if undocumented_language(material.asked_language):
        return (
            "The documentation I hold is Python 3.11's and the manuals of command-line tools: nothing in it is "
            f"written for {languages.display_name(material.asked_language)}."
        )
    lines = [f"- {r.passage.citation}" for r in closest(material)]
    return "Closest references:\n" + "\n".join(lines) if lines else ""


def _no_source(material: AvivaMaterial) -> str:
    if not material.knowledge_available:
        return NO_SOURCE + " (The knowledge base is unreachable right now; ask again shortly.)"
    return NO_SOURCE + " Give me a more specific question or a document to work from."


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
        # The note explains the code shown, so it comes from the passage the code was taken from.
        notes = best_sentences(material.content, [code.source_text], 1)
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
    elif not findings and (material.code is None or material.code.skeleton):
        # The checklist is general advice, not an answer to this error; the closest passages may still hold it.
        parts.extend([NO_DEBUG_PASSAGE, _closest(material)])
    parts.append(_DEBUG_CHECKLIST)
    if material.code is not None and not material.code.skeleton:
        parts.append(f"```{material.code.language}\n{material.code.code}\n```")
    return parts


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def system_prompt(material: AvivaMaterial) -> SystemPrompt:
    """Aviva's instructions for a model: direct style, the query type, and the knowledge to stay within."""
    prompt = SystemPrompt()
    prompt.say(
        "You are Aviva, a direct expert assistant. Answer first, in as few words as the question allows.",
        "No greetings, no filler, no apologies. Use fenced code blocks with a language tag for any code,",
        "and make sure code is complete and syntactically valid.",
        f"The question is a {material.query.query_type.replace('_', ' ')}.",
    )
    if material.tone_hint:
        prompt.say(f"Tone hint from the router: {material.tone_hint}. Stay direct; adjust warmth, not length.")
    if material.knowledge:
        prompt.say("Use only these sources for facts and cite them by title; say so if they do not answer it:")
        prompt.quote(
            *(
                f"- [{hit.title or hit.source}] <{hit.url}> {' '.join(hit.text.split())[:800]}"
                for hit in material.knowledge[:5]
            )
        )
    else:
        prompt.say("No sources were found: if you are not certain, say you don't know.")
    return prompt
