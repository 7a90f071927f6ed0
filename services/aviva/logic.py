"""Aviva's behaviour: classify, retrieve, write code, compose directly, check the facts."""

from __future__ import annotations

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2, persona_service_pb2
from services.aviva.care import care_line
from services.aviva.classifier import classify
from services.aviva.code import code_from_knowledge, detect_request_language, skeleton
from services.aviva.compose import (
    AvivaMaterial,
    compose_draft,
    own_sentences,
    references,
    system_prompt,
    undocumented_language,
)
from services.aviva.facts import check_claims
from services.aviva.project import about_project
from services.aviva.settings import AvivaSettings
from services.common import languages
from services.common.calculation import calculation_in
from services.common.generation.codeblocks import check_blocks
from services.common.generation.focus import focus_query
from services.common.generation.grounding import IndexCaller, message_vector, to_references
from services.common.knowledge.answer import DocsAnswerer
from services.common.knowledge.domain import OUTSIDE
from services.common.persona import PersonaLogic, Plan, Review, step
from services.common.persona.about import about_plan, personas_asked_about
from services.common.persona.calculated import calculation_plan
from services.common.persona.forgetting import asks_to_forget, forget_plan
from services.common.persona.logic import SystemPrompt
from services.common.persona.small_talk import SmallTalkHead, reply, small_talk_kind, small_talk_plan
from services.common.registry import persona_enum
from services.common.safety import crisis
from services.common.safety.emergency import FIRST_STEPS, EmergencyHead, emergency_kind, emergency_line
from services.common.safety.resources import ResourceTable

_CODE_TYPES = frozenset({"code_request", "optimization", "debugging"})
_OWN_SENTENCES = frozenset(own_sentences())


def _tone_hint(request: persona_pb2.PersonaRequest) -> str:
    """Abi's tone for this answer in words ("warm", "firm"...), or "" when it sent none."""
    if not request.HasField("routing") or request.routing.tone == persona_pb2.TONE_UNSPECIFIED:
        return ""
    return persona_pb2.Tone.Name(request.routing.tone).removeprefix("TONE_").lower()


class AvivaLogic(PersonaLogic):
    """The direct expert."""

    name = "aviva"

    def __init__(self, settings: AvivaSettings, index: IndexCaller) -> None:
        self.settings = settings
        self.index = index
        self.docs = DocsAnswerer(settings)
        self.emergency_head = EmergencyHead.load() if settings.emergency_head else None
        self.small_talk_head = SmallTalkHead.load() if settings.small_talk_head else None
        self.resources = ResourceTable(settings.crisis_resources_path, settings.crisis_default_region)

    def info(self, backend_name: str) -> persona_service_pb2.PersonaInfo:
        return persona_service_pb2.PersonaInfo(
            persona=persona_enum(self.name),
            persona_name=self.name,
            name="Aviva",
            description="A direct expert: concise, sourced answers, working code, facts checked against sources.",
            strengths=["code", "debugging", "factual questions", "technical explanations", "documentation look-ups"],
            temperature=self.settings.temperature,
            backend=backend_name,
        )

    async def plan(self, request: persona_pb2.PersonaRequest) -> Plan:
        # Words that leave no doubt someone is at risk (Abi sends the messages it flags to Abbey; these it missed)
        # get the crisis answer; an emergency happening now (below) the number. Never documentation for either.
        # A flagged message reaches her only as a fallback (Abbey down): a weak flag is asked about plainly too.
        at_risk = crisis.assess(request, crisis.kind_of(request.content))
        if at_risk:
            return self._crisis_plan(request, crisis.INDIRECT if at_risk == crisis.CHECK else at_risk)
        if (calculation := await calculation_in(request.content)) is not None:
            # "What's 15% of 240?", "350 F in C": computed, not looked up (the domain gate had declined them).
            return calculation_plan(calculation, "Aviva, a direct expert assistant", self.settings.temperature)
        if asked_about := personas_asked_about(request.content):
            # "what is aviva?", "what can abi do?": the registry says, not a reranked page of the project's docs.
            return about_plan(asked_about, self.name, self.settings.temperature, request.content)
        if asks_to_forget(request.content):
            # "please delete my data" is about the user's data, not a command's manual.
            return forget_plan(bool(request.user_id), self.settings.temperature)
        if talk := small_talk_kind(request.content):
            # "hi", "thanks!", "what can you do?" had got "this question is outside my documentation".
            return self._small_talk_plan(talk, request.content)
        query = classify(request)
        project = about_project(request.content)
        asked = focus_query(request.content) if self.settings.focus_query else request.content
        retrieved = await self.docs.search(
            self.index,
            asked,
            index_pb2.KNOWLEDGE_COLLECTION_PROJECT if project else index_pb2.KNOWLEDGE_COLLECTION_REFERENCE,
        )
        talk_head = self.small_talk_head if SmallTalkHead.may_read(request.content) else None
        wants_vector = self.emergency_head is not None or talk_head is not None
        vector = await message_vector(self.index, request.content, retrieved, asked) if wants_vector else None
        urgent = emergency_kind(request.content, self.emergency_head, vector)
        if urgent:
            return self._emergency_plan(request, urgent)
        if talk_head is not None and (talk := talk_head.kind(vector)):
            # Small talk in words the list lacks, read on the search's own vector (no Embed call of its own).
            return self._small_talk_plan(talk, request.content)
        # The domain gate reads the searched text's vector; a question about the project is hers whatever it reads.
        off_domain = self.docs.off_domain(request.content, retrieved, exempt=project)
        if off_domain is not None:
            return self._outside_plan(off_domain)
        ranking = await self.docs.rank(asked, retrieved.hits)
        intent, ranked = ranking.intent, ranking.ranked
        code = None
        language = ""
        pasted = await check_blocks(
            request.content, max_blocks=self.settings.code_check_max_blocks, workers=self.settings.code_check_workers
        )
        # The passages confident enough to answer from: code comes only from them (an unrelated page's example
        # is not a solution), and they are the references. None for a language no page is written for.
        named = languages.named_for_code(request.content)
        answering = [] if undocumented_language(named) else ranking.answering
        if query.query_type in _CODE_TYPES:
            language = detect_request_language(request.content, pasted)
            code = code_from_knowledge(request.content, language, [(h.title or h.source, h.text) for h in answering])
            # A labelled skeleton only in a language the question names and Python's pages are not written for: a
            # stub for "awk print the last field" or "make a virtual environment in python" says less than the
            # closest references (services/aviva/training/RULES.md, "No Python skeleton").
            if code is None and query.query_type != "debugging" and named and named != "python":
                code = skeleton(request.content, language, self.settings.code_comments)
        material = AvivaMaterial(
            content=request.content,
            query=query,
            knowledge=[r.passage.hit for r in ranked],
            code=code,
            sentences=max(1, round(2 + 2 * (1.0 - self.settings.directness))),
            knowledge_available=retrieved.available,
            tone_hint=_tone_hint(request),
            pasted=tuple(pasted),
            ranked=tuple(ranked),
            answer_threshold=ranking.threshold,
            care=care_line(request.routing),
        )
        origin = "from Abi" if query.source == "routing" else "no routing decision"
        reasoning = [step(f"Query type: {query.query_type} ({origin})", query.confidence)]
        if not retrieved.available:
            reasoning.append(step("Knowledge base unreachable (embedding index down)", 0.2))
        elif ranked:
            top = ranked[0]
            where = "the project's docs" if project else "the reference docs"
            reasoning.append(
                step(
                    f"Retrieved {len(ranked)} passage(s) from {where} (intent: {intent});"
                    f" best '{top.passage.hit.title}'",
                    top.confidence,
                )
            )
        else:
            reasoning.append(step("No relevant sources in the knowledge base", 0.3))
        if code is not None:
            origin = "skeleton (no verified example)" if code.skeleton else f"code from '{code.source_title}'"
            reasoning.append(step(f"Language: {language}; {origin}", 0.5 if code.skeleton else 0.85))
        cited = [r.passage.hit for r in references(material)]
        prompt = system_prompt(material)
        return Plan(
            system_prompt=prompt.text,
            draft=compose_draft(material),
            confidence=self._base_confidence(material),
            temperature=self.settings.temperature,
            references=to_references(cited),
            reasoning=reasoning,
            degraded=not retrieved.available,
            notes={"sources": [hit.text for hit in retrieved.hits]},
            quotable=prompt.quotable,
        )

    def _outside_plan(self, off_domain: float) -> Plan:
        """A question that is not about software (the domain gate): said plainly, with no passage as its answer
        and no unrelated references; a model backend may answer from what it knows, without citing the docs."""
        prompt = SystemPrompt()
        prompt.say(
            "You are Aviva, a direct expert assistant. This question is outside the documentation you hold (Python "
            "and everyday command-line tools): answer briefly only if you are certain, say that no documentation "
            "backs the answer, and cite nothing.",
        )
        return Plan(
            system_prompt=prompt.text,
            draft=OUTSIDE,
            confidence=0.3,
            temperature=self.settings.temperature,
            reasoning=[step("Not about software or its tools (domain gate): no passage answers it", off_domain)],
            notes={"sources": []},
            quotable=prompt.quotable,
        )

    def _crisis_plan(self, request: persona_pb2.PersonaRequest, kind: str) -> Plan:
        """The same crisis answer Abbey gives (services/common/safety/crisis.py), for a message that reached the
        expert with words of risk Abi did not flag."""
        resources = self.resources.for_request(request)
        paragraphs = crisis.compose(kind, request, resources, set())
        prompt = SystemPrompt()
        crisis.say_crisis_rules(prompt, kind, resources, paragraphs)
        return Plan(
            system_prompt=prompt.text,
            draft="\n\n".join(paragraphs),
            confidence=0.9,
            temperature=self.settings.temperature,
            reasoning=[step(f"Crisis ({kind.replace('_', ' ')}; risk of self-harm): care and crisis resources", 1.0)],
            notes={"sources": [], "crisis": kind},
            quotable=prompt.quotable,
        )

    def _emergency_plan(self, request: persona_pb2.PersonaRequest, kind: str) -> Plan:
        """Someone in an emergency happening now asked the documentation expert (Abi routed a "what do I do" to
        her): the region's emergency number and the first step, before anything else, and no documentation."""
        number = self.resources.for_request(request).emergency
        draft = "\n\n".join(
            [emergency_line(number), FIRST_STEPS[kind], "Once everyone is safe, I'm here for anything else you need."]
        )
        prompt = SystemPrompt()
        prompt.say(
            "You are Aviva, a direct expert assistant. This message may be an emergency happening now "
            f"({kind.replace('_', ' ')}). Say this first, in these words: {emergency_line(number)} Then give this "
            f"first step: {FIRST_STEPS[kind]} Be calm, brief and practical; no documentation, no code.",
        )
        return Plan(
            system_prompt=prompt.text,
            draft=draft,
            confidence=0.9,
            temperature=self.settings.temperature,
            reasoning=[step(f"Emergency happening now ({kind.replace('_', ' ')}): {number} first", 0.9)],
            notes={"sources": [], "emergency": kind},
            quotable=prompt.quotable,
        )

    @staticmethod
    def _base_confidence(material: AvivaMaterial) -> float:
        if material.code is not None and material.code.skeleton:
            return 0.45
        if not material.knowledge:
            return 0.3 if material.knowledge_available else 0.2
        best = material.answer
        if best is None:
            return 0.3  # said so, and listed the closest references
        return 0.5 + 0.5 * min(1.0, max(0.0, float(best.passage.hit.score)))

    def _small_talk_plan(self, kind: str, content: str) -> Plan:
        return small_talk_plan(kind, reply(kind, content, set(), self.name), self.name, self.settings.temperature)

    def review(self, request: persona_pb2.PersonaRequest, plan: Plan, text: str) -> Review:
        """Fact-check the finished answer: unverified claims lower confidence and are listed."""
        if not self.settings.verify_facts or plan.notes.get("emergency") or plan.notes.get("crisis"):
            return Review(confidence=plan.confidence)  # a crisis or emergency answer cites no documentation
        sources: list[str] = plan.notes.get("sources", [])
        report = check_claims(text, sources, self.settings.claim_support_threshold, _OWN_SENTENCES)
        if not report.checks:
            return Review(confidence=plan.confidence)
        steps = [
            step(
                f"Fact check: {report.verified}/{len(report.checks)} claim(s) supported by sources"
                + (f", {report.contradicted} contradicted" if report.contradicted else ""),
                report.ratio,
            )
        ]
        for check in report.checks:
            if not check.verified:
                label = "Contradicted" if check.contradicted else "Unverified"
                claim = check.claim if len(check.claim) <= 120 else check.claim[:119] + "…"
                steps.append(step(f"{label} claim: {claim}", check.support * (0.3 if check.contradicted else 1.0)))
        confidence = plan.confidence * (0.4 + 0.6 * report.ratio)
        return Review(confidence=confidence, extra_reasoning=steps[:4])

    async def close(self) -> None:
        await self.index.close()
