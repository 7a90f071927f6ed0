"""Abbey's behaviour: read the emotion, recall memory, gather knowledge, reason, compose, remember."""

from __future__ import annotations

import asyncio
import re

from personamesh.v1 import persona_pb2, persona_service_pb2
from services.abbey.compose import AbbeyMaterial, compose_draft, system_prompt
from services.abbey.emotion import EmotionReader, EmotionReading
from services.abbey.empathy import acknowledge, is_personal_sharing, needs_support, suggest_tone
from services.abbey.memory import EpisodicMemory
from services.abbey.reasoning import ReasoningChain
from services.abbey.settings import AbbeySettings
from services.common.generation.grounding import IndexCaller, Retrieved, search_knowledge, to_references
from services.common.persona import PersonaLogic, Plan
from services.common.registry import persona_enum
from services.common.registry.wire import persona_of

TECHNICAL_QUERY_TYPES = frozenset(
    {"code_request", "debugging", "factual_query", "explanation", "documentation", "comparison", "optimization"}
)
# A knowledge hit this similar makes a message technical even without Abi's query type.
_STRONG_KNOWLEDGE = 0.5
# Questions and problem reports that a weaker knowledge hit may still answer.
_QUESTION = re.compile(r"\?\s*$|^(who|what|when|where|which|why|how)\b|\b\w+(Error|Exception)\b", re.I)


class AbbeyLogic(PersonaLogic):
    """The empathetic polymath."""

    name = "abbey"

    def __init__(self, settings: AbbeySettings, index: IndexCaller) -> None:
        self.settings = settings
        self.index = index
        self.reader = EmotionReader()
        self.memory = EpisodicMemory(index, settings.memory_k, settings.memory_min_score)

    def info(self, backend_name: str) -> persona_service_pb2.PersonaInfo:
        return persona_service_pb2.PersonaInfo(
            persona=persona_enum(self.name),
            persona_name=self.name,
            name="Abbey",
            description="An empathetic polymath: reads how you feel, remembers what you shared, explains with warmth.",
            strengths=[
                "emotional support",
                "personal and relationship advice",
                "explaining technical ideas with warmth",
                "remembering earlier conversations",
            ],
            temperature=self.settings.temperature,
            backend=backend_name,
        )

    async def plan(self, request: persona_pb2.PersonaRequest) -> Plan:
        reading = self.reader.read(request)
        recall, retrieved = await asyncio.gather(
            self.memory.recall(request.user_id, request.content),
            search_knowledge(
                self.index,
                request.content,
                k=self.settings.knowledge_k,
                min_score=self.settings.knowledge_min_score,
            ),
        )
        support = needs_support(request)
        technical = not support and self._technical(request, reading, retrieved)
        tone = suggest_tone(request, reading)
        material = AbbeyMaterial(
            content=request.content,
            reading=reading,
            acknowledgement=acknowledge(
                reading,
                request.content,
                self.settings.empathy,
                personal=not technical and is_personal_sharing(request.content),
                crisis=support,
            ),
            tone=tone,
            support=support,
            technical=technical,
            memories=recall.memories,
            knowledge=retrieved.hits if technical else [],
            sentences_per_answer=max(1, round(1 + 3 * self.settings.technical_depth)),
            query_type=request.routing.query_type if request.HasField("routing") else "",
        )
        degraded = not recall.available or not retrieved.available
        chain = self._reasoning(request, material, recall.available, retrieved)
        return Plan(
            system_prompt=system_prompt(material),
            draft=compose_draft(material),
            confidence=self._confidence(request, material, degraded),
            temperature=self.settings.temperature,
            references=to_references(material.knowledge),
            reasoning=chain.steps(),
            emotional_state=reading.to_proto(),
            degraded=degraded,
            notes={"reading": reading},
            quotable=[m.user_message for m in material.memories] + [hit.text for hit in material.knowledge],
        )

    @staticmethod
    def _technical(request: persona_pb2.PersonaRequest, reading: EmotionReading, retrieved: Retrieved) -> bool:
        query_type = request.routing.query_type if request.HasField("routing") else ""
        if query_type:
            return query_type in TECHNICAL_QUERY_TYPES
        if not retrieved.hits or (reading.intensity >= 0.7 and reading.negative):
            return False
        if retrieved.hits[0].score >= _STRONG_KNOWLEDGE:
            return True
        return bool(_QUESTION.search(request.content)) and reading.intensity < 0.6

    def _reasoning(
        self, request: persona_pb2.PersonaRequest, material: AbbeyMaterial, memory_up: bool, retrieved: Retrieved
    ) -> ReasoningChain:
        chain = ReasoningChain(self.settings.max_reasoning_steps)
        reading = material.reading
        if material.support:
            chain.add("Moderation flagged a risk of self-harm: lead with care and include crisis resources", 1.0, 0)
        source = {
            "routing": "Abi's routing decision",
            "conversation": "the earlier turns of this conversation",
        }.get(reading.source, "my own reading of the message")
        strength = reading.scores.get(reading.primary, 0.5)
        chain.add(
            f"The user seems {reading.primary} (intensity {reading.intensity:.2f}), from {source}",
            (0.85 if reading.source == "routing" else 0.6) * (0.5 + 0.5 * strength),
            1,
        )
        if not memory_up:
            chain.add("Memory unavailable (embedding index down): answering without earlier context", 0.3, 2)
        elif material.memories:
            best = material.memories[0].score
            chain.add(f"Recalled {len(material.memories)} earlier exchange(s) with this user", best, 2)
        elif request.user_id:
            chain.add("No related earlier conversations with this user", 0.7, 4)
        if material.technical:
            if material.knowledge:
                top = material.knowledge[0]
                chain.add(f"Grounded the explanation in '{top.title or top.source}'", float(top.score), 3)
            elif not retrieved.available:
                chain.add("Knowledge unavailable (embedding index down): not guessing", 0.3, 3)
            else:
                chain.add("No trustworthy knowledge found: asking for more detail instead of guessing", 0.4, 3)
        tone = persona_pb2.Tone.Name(material.tone).removeprefix("TONE_").lower()
        chain.add(f"Answer in a {tone} tone", 0.8, 4)
        return chain

    def _confidence(self, request: persona_pb2.PersonaRequest, material: AbbeyMaterial, degraded: bool) -> float:
        confidence = 0.8
        if material.technical:
            confidence = 0.4 + 0.5 * float(material.knowledge[0].score) if material.knowledge else 0.4
        if request.HasField("routing") and persona_of(request.routing) == self.name:
            confidence = 0.7 * confidence + 0.3 * float(request.routing.confidence)
        if degraded:
            confidence -= 0.15
        return confidence

    async def after_answer(
        self, request: persona_pb2.PersonaRequest, plan: Plan, response: persona_pb2.PersonaResponse
    ) -> None:
        """Keep the exchange, with the feeling Abbey read, as episodic memory."""
        if not self.settings.remember:
            return
        reading: EmotionReading = plan.notes["reading"]
        await self.memory.remember(request, response, reading.primary, reading.polarity)

    async def close(self) -> None:
        await self.index.close()
